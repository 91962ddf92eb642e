import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDiffTree, parseLsTree, splitNul, treeAsAdded } from "../../../src/git/diff-tree.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const Z = "0".repeat(40);

describe("parseDiffTree", () => {
  it("reads added, modified, deleted and type-changed records with their modes", () => {
    const raw = [
      `:000000 100644 ${Z} ${A} A`,
      "sessions/new.yaml",
      `:100644 100644 ${A} ${B} M`,
      "sessions/edited.yaml",
      `:100644 000000 ${B} ${Z} D`,
      "sessions/gone.yaml",
      `:100644 120000 ${A} ${B} T`,
      "sessions/now-a-link.yaml",
      `:000000 160000 ${Z} ${A} A`,
      "vendor/sub",
      "",
    ].join("\0");
    expect(parseDiffTree(Buffer.from(raw))).toEqual([
      { path: "sessions/new.yaml", status: "added", oid: A, oldOid: null, mode: "100644" },
      { path: "sessions/edited.yaml", status: "modified", oid: B, oldOid: A, mode: "100644" },
      { path: "sessions/gone.yaml", status: "deleted", oid: null, oldOid: B, mode: "100644" },
      { path: "sessions/now-a-link.yaml", status: "modified", oid: B, oldOid: A, mode: "120000" },
      { path: "vendor/sub", status: "added", oid: A, oldOid: null, mode: "160000" },
    ]);
  });

  it("keeps paths with spaces, tabs, newlines and non-ASCII bytes as they are", () => {
    const raw = `:000000 100644 ${Z} ${A} A\0dir/a b\tc\nd é.yaml\0`;
    expect(parseDiffTree(raw)[0]?.path).toBe("dir/a b\tc\nd é.yaml");
  });

  it("returns nothing for empty output", () => {
    expect(parseDiffTree("")).toEqual([]);
  });

  it("rejects output it does not understand", () => {
    expect(() => parseDiffTree("garbage\0path\0")).toThrow(/unexpected diff-tree record/);
  });
});

describe("parseLsTree", () => {
  it("reads mode, type, id and path of every entry", () => {
    const raw = `100644 blob ${A}\tcfs.yaml\x00120000 blob ${B}\tlink\x00160000 commit ${A}\tsub module\x00`;
    const entries = parseLsTree(raw);
    expect(entries).toEqual([
      { mode: "100644", type: "blob", oid: A, path: "cfs.yaml" },
      { mode: "120000", type: "blob", oid: B, path: "link" },
      { mode: "160000", type: "commit", oid: A, path: "sub module" },
    ]);
    expect(treeAsAdded(entries)[2]).toEqual({
      path: "sub module",
      status: "added",
      oid: A,
      oldOid: null,
      mode: "160000",
    });
  });
});

describe("splitNul", () => {
  it("gives the same fields from the bytes as from the text, each its own string", () => {
    const field = fc.string({ unit: fc.constantFrom("a", "é", "\u{1F600}", "\0", " ", "\t") });
    fc.assert(
      fc.property(field, (text) => {
        expect(splitNul(Buffer.from(text, "utf8"))).toEqual(splitNul(text));
      }),
    );
  });
});
