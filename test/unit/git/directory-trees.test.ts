import { describe, expect, it } from "vitest";
import { hashBlob } from "../../../src/git/fast-import.js";
import { hashTree, planDirectoryTrees, type TreePlanInput } from "../../../src/git/directory-trees.js";

const blob = (text: string) => Buffer.from(text);

/** A plan input from the parent's files and the changes (blob ids computed as the store does). */
function input(
  files: Record<string, string>,
  changes: Record<string, string | null>,
  extra: Partial<TreePlanInput> = {},
): TreePlanInput {
  const contents = new Map(Object.entries(changes).map(([p, c]) => [p, c === null ? null : blob(c)]));
  const oids = new Map([...contents].map(([p, c]) => [p, c === null ? null : hashBlob(c)]));
  const parent = new Map(Object.entries(files).map(([p, c]) => [p, hashBlob(blob(c))]));
  return {
    files: parent,
    special: new Set(),
    changes: contents,
    oids,
    format: "sha1",
    minChanges: 2,
    ...extra,
  };
}

/** `100644 <name>\0<raw id>` entries, in the order given. */
function treeOf(entries: Array<[string, string]>): Buffer {
  return Buffer.concat(
    entries.flatMap(([name, content]) => [
      Buffer.from(`100644 ${name}\0`),
      Buffer.from(hashBlob(blob(content)), "hex"),
    ]),
  );
}

describe("planDirectoryTrees", () => {
  it("builds a busy flat directory's tree from the parent's blobs and the changes, sorted by name bytes", () => {
    const plan = planDirectoryTrees(
      input(
        { "components/b.json": "b0", "components/a.json": "a0", "components/c.json": "c0", "cfs.json": "x" },
        { "components/c.json": null, "components/a.json": "a1", "components/B.json": "B1" },
      ),
    );
    const content = treeOf([
      ["B.json", "B1"],
      ["a.json", "a1"],
      ["b.json", "b0"],
    ]);
    expect(plan.trees).toEqual([{ path: "components", content, oid: hashTree(content) }]);
    expect(plan.blobs).toEqual([blob("a1"), blob("B1")]);
    expect(plan.rest).toEqual([]);
  });

  it("sorts a name before the longer names it begins, as git does for files", () => {
    const plan = planDirectoryTrees(input({}, { "d/ab": "2", "d/a": "1", "d/a.b": "3" }));
    expect(plan.trees[0]?.content).toEqual(
      treeOf([
        ["a", "1"],
        ["a.b", "3"],
        ["ab", "2"],
      ]),
    );
  });

  it("leaves directories with fewer changes than the threshold to per-file lines, in their order", () => {
    const plan = planDirectoryTrees(
      input(
        {},
        { "sessions/x.json": "x", "components/a.json": "a", "components/b.json": null },
        { minChanges: 3 },
      ),
    );
    expect(plan.trees).toEqual([]);
    expect(plan.blobs).toEqual([]);
    expect(plan.rest).toEqual([
      ["sessions/x.json", blob("x")],
      ["components/a.json", blob("a")],
      ["components/b.json", null],
    ]);
  });

  it("splits busy directories from the others", () => {
    const plan = planDirectoryTrees(
      input(
        { "sessions/s.json": "s0" },
        { "components/a.json": "a", "sessions/s.json": "s1", "components/b.json": "b" },
      ),
    );
    expect(plan.trees.map((t) => t.path)).toEqual(["components"]);
    expect(plan.rest).toEqual([["sessions/s.json", blob("s1")]]);
  });

  it("does not build a directory that holds a subdirectory, a special file, or ends empty", () => {
    const nested = input({ "d/sub/x.json": "x" }, { "d/a": "a", "d/b": "b" });
    const special = input(
      { "d/link": "target" },
      { "d/a": "a", "d/b": "b" },
      { special: new Set(["d/link"]) },
    );
    const emptied = input({ "d/a": "a", "d/b": "b" }, { "d/a": null, "d/b": null });
    for (const plan of [nested, special, emptied].map(planDirectoryTrees)) {
      expect(plan.trees).toEqual([]);
      expect(plan.rest.map(([path]) => path)).toEqual(["d/a", "d/b"]);
    }
  });

  it("builds nested directories by their own path, and never files at the top", () => {
    const plan = planDirectoryTrees(input({}, { "a/b/x": "x", "a/b/y": "y", top: "1", other: "2" }));
    expect(plan.trees.map((t) => t.path)).toEqual(["a/b"]);
    expect(plan.rest.map(([path]) => path)).toEqual(["top", "other"]);
  });

  it("hashes trees with the repository's hash", () => {
    const plan = planDirectoryTrees(input({}, { "d/a": "a", "d/b": "b" }, { format: "sha256" }));
    expect(plan.trees[0]?.oid).toBe(hashTree(plan.trees[0]!.content, "sha256"));
    expect(plan.trees[0]?.oid).toHaveLength(64);
  });
});
