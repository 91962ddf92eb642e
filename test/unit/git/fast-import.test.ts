import { describe, expect, it } from "vitest";
import {
  buildFastImportStream,
  hashBlob,
  isValidStatusPath,
  normalizeMessage,
  quotePath,
} from "../../../src/git/fast-import.js";

const when = new Date("2024-01-02T03:04:05Z");
const secs = Math.floor(when.getTime() / 1000);

describe("buildFastImportStream", () => {
  it("writes a root commit with inline contents and deletes, then asks for the commit id", () => {
    const stream = Buffer.concat(
      buildFastImportStream({
        ref: "refs/cfs-gitops/scratch",
        parent: null,
        message: "status: 1 running\n\n",
        when,
        changes: [
          ["sessions/a.json", Buffer.from("{}\n")],
          ["old.json", null],
        ],
      }),
    ).toString("utf8");
    expect(stream).toBe(
      [
        "reset refs/cfs-gitops/scratch",
        "",
        "commit refs/cfs-gitops/scratch",
        "mark :1",
        `author cfs-gitops <cfs-gitops@localhost> ${secs} +0000`,
        `committer cfs-gitops <cfs-gitops@localhost> ${secs} +0000`,
        "data 18",
        "status: 1 running",
        "",
        "M 100644 inline sessions/a.json",
        "data 3",
        "{}",
        "",
        "D old.json",
        "",
        "get-mark :1",
        "done",
        "",
      ].join("\n"),
    );
  });

  it("names the parent with `from` and counts data in bytes, not characters", () => {
    const parent = "c".repeat(40);
    const stream = Buffer.concat(
      buildFastImportStream({
        ref: "refs/x",
        parent,
        message: "é",
        when,
        changes: [["p", Buffer.from("ü")]],
      }),
    ).toString("utf8");
    expect(stream).toContain(`data 3\né\n\nfrom ${parent}\n`);
    expect(stream).toContain("M 100644 inline p\ndata 2\nü\n");
  });

  it("passes binary contents through untouched", () => {
    const content = Buffer.from([0, 255, 10, 13, 0]);
    const chunks = buildFastImportStream({
      ref: "refs/x",
      parent: null,
      message: "m",
      when,
      changes: [["b", content]],
    });
    expect(chunks).toContain(content);
  });
});

describe("quotePath", () => {
  it("leaves ordinary paths (spaces included) alone", () => {
    expect(quotePath("sessions/a b.json")).toBe("sessions/a b.json");
  });

  it("C-quotes paths with newlines or a leading quote", () => {
    expect(quotePath("a\nb")).toBe('"a\\nb"');
    expect(quotePath('"x')).toBe('"\\"x"');
    expect(quotePath("a\\b\nc")).toBe('"a\\\\b\\nc"');
  });
});

describe("normalizeMessage", () => {
  it("ends with exactly one newline", () => {
    expect(normalizeMessage("a\n\n\n")).toBe("a\n");
    expect(normalizeMessage("a")).toBe("a\n");
  });
});

describe("hashBlob", () => {
  it("gives the id git gives", () => {
    expect(hashBlob(Buffer.from("hello\n"))).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
    expect(hashBlob(Buffer.alloc(0))).toBe("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
  });
});

describe("isValidStatusPath", () => {
  it.each(["sessions/a.json", "problems/sessions/x.yaml.json", "a b/c"])("accepts %s", (path) => {
    expect(isValidStatusPath(path)).toBe(true);
  });
  it.each(["", "/abs", "a//b", "a/", "./a", "a/../b", ".git/config", "x/.GIT/y", "nul\0"])(
    "rejects %j",
    (path) => {
      expect(isValidStatusPath(path)).toBe(false);
    },
  );
});

describe("buildFastImportStream with whole directories", () => {
  it("stores the blobs before the commit and replaces each directory by its tree before the file lines", () => {
    const tree = "d".repeat(40);
    const stream = Buffer.concat(
      buildFastImportStream({
        ref: "refs/x",
        parent: null,
        message: "m",
        when,
        blobs: [Buffer.from("a1"), Buffer.from("b1")],
        trees: [["components", tree]],
        changes: [["sessions/s.json", null]],
      }),
    ).toString("utf8");
    expect(stream.indexOf("blob\ndata 2\na1\nblob\ndata 2\nb1\ncommit refs/x\n")).toBeGreaterThan(0);
    expect(stream).toContain(`\nM 040000 ${tree} components\nD sessions/s.json\n`);
  });
});
