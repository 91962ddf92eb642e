import { execFileSync } from "node:child_process";
import { appendFileSync, mkdtempSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { plainRepositoryInfo } from "../../../src/git/plain-repository.js";

let dir = "";

function git(...args: string[]): string {
  return execFileSync("git", args, { encoding: "utf8" }).trim();
}

/** What git itself says of the repository at `path`, as repositoryInfo asks it. */
function gitSays(path: string): { gitDir: string; format: string } {
  const [gitDir, format] = git(
    "-C",
    path,
    "rev-parse",
    "--path-format=absolute",
    "--git-common-dir",
    "--show-object-format",
  ).split("\n");
  return { gitDir: gitDir ?? "", format: format ?? "" };
}

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), "cfs-plain-")));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("a plain bare repository, known without git", () => {
  it("is known as git knows it: its git directory, SHA-1 objects", () => {
    const bare = join(dir, "site.git");
    git("init", "--quiet", "--bare", bare);
    expect(plainRepositoryInfo(bare)).toEqual(gitSays(bare));
    expect(plainRepositoryInfo(join(dir, ".", "site.git"))).toEqual(gitSays(bare));
  });

  it("leaves SHA-256 repositories, includes and extensions to git", () => {
    const sha256 = join(dir, "sha256.git");
    git("init", "--quiet", "--bare", "--object-format=sha256", sha256);
    expect(gitSays(sha256).format).toBe("sha256");
    expect(plainRepositoryInfo(sha256)).toBeNull();
    const included = join(dir, "included.git");
    git("init", "--quiet", "--bare", included);
    appendFileSync(join(included, "config"), "[include]\n\tpath = other.config\n");
    expect(plainRepositoryInfo(included)).toBeNull();
  });

  it("leaves a work tree, a linked work tree's git directory and a plain folder to git", () => {
    const work = join(dir, "work");
    git("init", "--quiet", "-b", "main", work);
    git(
      "-C",
      work,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@x",
      "commit",
      "--quiet",
      "--allow-empty",
      "-m",
      "x",
    );
    git("-C", work, "worktree", "add", "--quiet", join(dir, "linked"));
    expect(plainRepositoryInfo(work)).toBeNull();
    expect(plainRepositoryInfo(join(work, ".git", "worktrees", "linked"))).toBeNull();
    expect(plainRepositoryInfo(dir)).toBeNull();
    expect(plainRepositoryInfo(join(dir, "missing"))).toBeNull();
  });
});
