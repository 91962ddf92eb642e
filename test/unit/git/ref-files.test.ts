import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { packedOid, readBranchFromFiles } from "../../../src/git/ref-files.js";

let dir = "";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "t",
  GIT_AUTHOR_EMAIL: "t@x",
  GIT_COMMITTER_NAME: "t",
  GIT_COMMITTER_EMAIL: "t@x",
};

function git(...args: string[]): string {
  return execFileSync("git", [`--git-dir=${dir}`, ...args], {
    encoding: "utf8",
    env: GIT_ENV,
  }).trim();
}

/** A commit on `branch` of the bare repository; returns its id. */
function commit(branch: string): string {
  const tree = git("mktree");
  const oid = execFileSync("git", [`--git-dir=${dir}`, "commit-tree", tree, "-m", branch], {
    encoding: "utf8",
    input: "",
    env: GIT_ENV,
  }).trim();
  git("update-ref", `refs/heads/${branch}`, oid);
  return oid;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cfs-ref-files-"));
  execFileSync("git", ["init", "--quiet", "--bare", dir]);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a branch's tip from the ref files", () => {
  it("reads a loose ref, a packed one, and says null for a branch that does not exist", async () => {
    const main = commit("main");
    const status = commit("cfs-status");
    expect(await readBranchFromFiles(dir, "main")).toBe(main);
    git("pack-refs", "--all", "--prune");
    expect(await readBranchFromFiles(dir, "main")).toBe(main);
    expect(await readBranchFromFiles(dir, "cfs-status")).toBe(status);
    expect(await readBranchFromFiles(dir, "nope")).toBeNull();
    const moved = commit("main"); // loose again, newer than its packed line
    expect(await readBranchFromFiles(dir, "main")).toBe(moved);
    expect(git("rev-parse", "main")).toBe(moved);
  });

  it("says null when there is neither a loose ref nor a packed-refs file", async () => {
    expect(await readBranchFromFiles(dir, "main")).toBeNull();
  });

  it("names a branch in a folder (feature/x) as git does", async () => {
    const oid = commit("feature/x");
    expect(await readBranchFromFiles(dir, "feature/x")).toBe(oid);
  });

  it.each([
    ["a symbolic ref", (path: string) => writeFileSync(path, "ref: refs/heads/other\n")],
    ["a damaged ref file", (path: string) => writeFileSync(path, "not an oid\n")],
    ["a folder where the ref would be", (path: string) => mkdirSync(path)],
  ])("leaves %s to git (undefined)", async (_what, make) => {
    make(join(dir, "refs", "heads", "main"));
    expect(await readBranchFromFiles(dir, "main")).toBeUndefined();
  });

  it("leaves a reftable repository and names it cannot read to git", async () => {
    commit("main");
    expect(await readBranchFromFiles(dir, "../HEAD")).toBeUndefined();
    mkdirSync(join(dir, "reftable"));
    expect(await readBranchFromFiles(dir, "main")).toBeUndefined();
  });
});

describe("a branch in the text of packed-refs", () => {
  const a = "a".repeat(40);
  const b = "b".repeat(40);
  const text = `# pack-refs with: peeled fully-peeled sorted \n${a} refs/heads/main\n${b} refs/tags/v1\n^${a}\n`;

  it("finds its line, skips the header and peeled lines, and says null when it is missing", () => {
    expect(packedOid(text, "refs/heads/main")).toBe(a);
    expect(packedOid(text, "refs/tags/v1")).toBe(b);
    expect(packedOid(text, "refs/heads/other")).toBeNull();
  });

  it("leaves a line it cannot read to git", () => {
    expect(packedOid("garbage\n", "refs/heads/main")).toBeUndefined();
    expect(packedOid("xyz refs/heads/main\n", "refs/heads/main")).toBeUndefined();
  });
});
