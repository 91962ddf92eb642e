/**
 * `validate` never lies (issue 14, item 3): it finds the repository from any folder inside it,
 * takes paths relative to the current folder or absolute, checks what is staged with --staged
 * (what the pre-commit recipe runs), makes diff's immutability check with --against, and exits 2
 * (checking nothing) rather than saying "0 files valid" when it was given nothing to check.
 * Real git repositories; the CLI in-process.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigRepo, configurationYaml, git, sessionYaml, tempDir } from "../../helpers/config-repo.js";
import { runIn, type CliResult } from "./cli-harness.js";

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;

const BROKEN = sessionYaml("bad", "one").replace("name: bad", "name: bad\nansible:\n  verbosity: 9");

beforeEach(() => {
  dir = tempDir("cfs-validate-git-");
  repo = new ConfigRepo(join(dir.path, "config"));
  repo.commit({
    "configurations/one.yaml": configurationYaml("one", [
      { name: "one", url: "https://git.example.org/x.git" },
    ]),
    "sessions/ok.yaml": sessionYaml("ok", "one"),
  });
});

afterEach(() => dir.cleanup());

function validate(args: string[], cwd: string): Promise<CliResult> {
  return runIn({
    argv: ["validate", ...args],
    options: { cwd },
    url: repo.path,
    dir: dir.path,
    home: dir.path,
  });
}

describe("validate from anywhere in the repository", () => {
  it("finds the repository from a subfolder and takes relative and absolute paths", async () => {
    writeFileSync(join(repo.path, "sessions", "bad.yaml"), BROKEN);
    const sessions = join(repo.path, "sessions");
    const all = await validate([], sessions);
    expect(all.code).toBe(1);
    expect(all.stdout).toMatch(/^sessions\/bad\.yaml:\d+:\d+: /);
    expect(all.stderr).toBe("cfs-gitops: 1 error in 1 of 3 files\n");
    for (const path of ["bad.yaml", join(sessions, "bad.yaml"), "../sessions/bad.yaml"]) {
      const one = await validate([path], sessions);
      expect(one.code, path).toBe(1);
      expect(one.stdout, path).toMatch(/^sessions\/bad\.yaml:\d+:\d+: /);
      expect(one.stderr, path).toBe("cfs-gitops: 1 error in 1 of 1 file\n");
    }
    const fine = await validate(["ok.yaml"], sessions);
    expect(fine).toMatchObject({ code: 0, stdout: "", stderr: "1 file valid\n" });
  });

  it("exits 2, checking nothing, for a missing path, a path with no manifest, or a folder that is not a repository", async () => {
    const missing = await validate(["nope.yaml"], join(repo.path, "sessions"));
    expect(missing).toMatchObject({ code: 2, stderr: "cfs-gitops: nope.yaml: no such file or directory\n" });
    writeFileSync(join(repo.path, "README.md"), "# site\n");
    const readme = await validate(["README.md"], repo.path);
    expect(readme.code).toBe(2);
    expect(readme.stderr).toMatch(/^cfs-gitops: nothing checked: README\.md holds no manifest/);
    const elsewhere = join(dir.path, "elsewhere");
    mkdirSync(elsewhere);
    const outside = await validate([], elsewhere);
    expect(outside.code).toBe(2);
    expect(outside.stderr).toMatch(/is not a configuration repository/);
    const staged = await validate(["--staged", "--root", repo.path], elsewhere);
    expect(staged.code).toBe(0);
  });
});

describe("validate --staged", () => {
  it("checks the index, not the working tree, both ways", async () => {
    writeFileSync(join(repo.path, "sessions", "new.yaml"), BROKEN.replace(/name: bad/, "name: new"));
    git(repo.path, ["add", "sessions/new.yaml"]);
    writeFileSync(join(repo.path, "sessions", "new.yaml"), sessionYaml("new", "one"));
    expect((await validate([], repo.path)).code).toBe(0);
    const staged = await validate(["--staged"], repo.path);
    expect(staged.code).toBe(1);
    expect(staged.stdout).toMatch(/^sessions\/new\.yaml:\d+:\d+: /);

    git(repo.path, ["add", "sessions/new.yaml"]);
    writeFileSync(join(repo.path, "sessions", "new.yaml"), "not: [valid");
    expect((await validate([], repo.path)).code).toBe(1);
    expect(await validate(["--staged"], repo.path)).toMatchObject({ code: 0, stderr: "3 files valid\n" });
    expect(await validate(["--staged", "sessions/new.yaml"], repo.path)).toMatchObject({ code: 0 });
  });

  it("is what the pre-commit recipe of --help runs", async () => {
    const help = await validate(["--help"], repo.path);
    expect(help.stdout).toContain("exec cfs-gitops validate --staged");
    expect(help.stdout).not.toContain("xargs");
  });
});

describe("validate --against", () => {
  it("reports the edit of a session that exists at REF: sessions are immutable", async () => {
    writeFileSync(
      join(repo.path, "sessions", "ok.yaml"),
      sessionYaml("ok", "one", "debug_on_failure: true\n"),
    );
    expect((await validate([], repo.path)).code).toBe(0);
    const against = await validate(["--against", "HEAD"], repo.path);
    expect(against.code).toBe(1);
    expect(against.stdout).toMatch(
      /^sessions\/ok\.yaml:1:1: session "ok" already exists; sessions are immutable/,
    );
    const missing = await validate(["--against", "no-such-ref"], repo.path);
    expect(missing).toMatchObject({ code: 2, stderr: "cfs-gitops: --against no-such-ref: no such commit\n" });
  });
});
