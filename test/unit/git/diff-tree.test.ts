import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { NulFields, parseDiffTree, parseLsTree, treeAsAdded } from "../../../src/git/diff-tree.js";

/** The NUL-separated fields of a text, a last NUL ending the last field. */
function fieldsOf(text: string): string[] {
  const fields = text.split("\0");
  if (fields.at(-1) === "") fields.pop();
  return fields;
}

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

describe("parsing the bytes of a listing", () => {
  const path = fc
    .array(fc.string({ unit: fc.constantFrom("a", "é", "\u{1F600}", " ", "\t", "\n", "/", ":") }), {
      minLength: 1,
      maxLength: 3,
    })
    .map((parts) => parts.join("/") || "x");
  const oid = fc.constantFrom(A, B);
  const mode = fc.constantFrom("100644", "100755", "120000", "160000");

  it("gives ls-tree's entries as its text split on NUL, tab and space gives them", () => {
    const entry = fc.record({ mode, oid, path });
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 8 }), (entries) => {
        const text = entries.map((e) => `${e.mode} blob ${e.oid}\t${e.path}\0`).join("");
        const expected = entries.map((e) => ({ mode: e.mode, type: "blob", oid: e.oid, path: e.path }));
        expect(parseLsTree(Buffer.from(text, "utf8"))).toEqual(expected);
      }),
    );
  });

  it("gives diff-tree's records whatever their paths hold", () => {
    const record = fc.record({ mode, from: oid, to: oid, path });
    fc.assert(
      fc.property(fc.array(record, { maxLength: 8 }), (records) => {
        const text = records.map((r) => `:${r.mode} ${r.mode} ${r.from} ${r.to} M\0${r.path}\0`).join("");
        const expected = records.map((r) => ({
          path: r.path,
          status: "modified",
          oid: r.to,
          oldOid: r.from,
          mode: r.mode,
        }));
        expect(parseDiffTree(Buffer.from(text, "utf8"))).toEqual(expected);
      }),
    );
  });
});

describe("NulFields", () => {
  it("gives the fields of output cut anywhere into chunks, as splitting the whole text gives them", () => {
    const field = fc.string({ unit: fc.constantFrom("a", "é", "\u{1F600}", " ", "\t") });
    const input = fc.record({
      fields: fc.array(field, { maxLength: 10 }),
      endsWithNul: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(input, ({ fields, endsWithNul, cuts }) => {
        const text = fields.join("\0") + (endsWithNul && fields.length > 0 ? "\0" : "");
        const whole = Buffer.from(text, "utf8");
        const points = [...new Set(cuts.map((cut) => cut % (whole.length + 1)))].sort((a, b) => a - b);
        const seen: string[] = [];
        const splitter = new NulFields((bytes, at, end) => seen.push(bytes.toString("utf8", at, end)));
        let from = 0;
        for (const point of [...points, whole.length]) {
          splitter.push(whole.subarray(from, point));
          from = point;
        }
        splitter.end();
        expect(seen).toEqual(fieldsOf(text));
      }),
    );
  });
});
