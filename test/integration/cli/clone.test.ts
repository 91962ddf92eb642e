import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { configurationYaml, git, makeLayerRepo, playbook, tempDir } from "../../helpers/config-repo.js";
import { git as gitAsync } from "../../helpers/git-fixture.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { startController, type Harness } from "../../e2e/harness.js";
import { CREDENTIALS, runIn, type RunOptions } from "./cli-harness.js";

/**
 * A working clone of the site repository is a first-class repository: run from inside an ordinary
 * `git clone` (no --repo), the CLI reads the remote's branches and status branch, pushes its
 * commits there, and `--wait` follows the remote's status branch while a real controller (local
 * runner, real ansible-playbook) watches the served repository.
 */
let dir: { path: string; cleanup: () => void };
let server: GitHttpServer;
let bare: string;
let clone: string;
let harness: Harness;

beforeAll(async () => {
  dir = tempDir("cfs-clone-");
  const marks = join(dir.path, "marks.txt");
  const layer = makeLayerRepo(dir.path, "base", { "site.yml": playbook({ file: marks, line: "ok" }) });
  const seed = join(dir.path, "seed");
  mkdirSync(join(seed, "configurations"), { recursive: true });
  git(seed, ["init", "-q", "-b", "main"]);
  writeFileSync(
    join(seed, "configurations", "good.yaml"),
    configurationYaml("good", [{ name: "base", url: layer }]),
  );
  git(seed, ["add", "-A"]);
  git(seed, ["commit", "-q", "-m", "seed"]);
  bare = join(dir.path, "served", "site.git");
  git(dir.path, ["clone", "-q", "--bare", seed, bare]);
  server = await startGitHttpServer({ root: join(dir.path, "served"), auth: CREDENTIALS });
  const url = server.url("site.git");
  clone = join(dir.path, "clone");
  const withAuth = url.replace("http://", `http://${CREDENTIALS.username}:${CREDENTIALS.password}@`);
  // Not execFileSync: the server answering the clone runs in this process.
  await gitAsync(["clone", "-q", withAuth, clone], { cwd: dir.path });
  git(clone, ["remote", "set-url", "origin", url]);
  mkdirSync(join(dir.path, "home"), { recursive: true });
  harness = await startController({ repo: bare, dataDir: join(dir.path, "controller"), watch: true });
});

afterAll(async () => {
  await harness?.close();
  await server?.close();
  dir?.cleanup();
});

/** The CLI as a user runs it in the clone: no --repo, no CFS_GITOPS_REPO. */
const run = (argv: string[], options: RunOptions = {}) =>
  runIn({
    argv,
    options: { realTime: true, cwd: clone, unset: ["CFS_GITOPS_REPO"], ...options },
    url: "",
    dir: dir.path,
    home: join(dir.path, "home"),
  });

describe("the CLI inside a clone of the site repository", () => {
  it("pushes a session to the remote, follows the remote's status branch to the end, and reads the real status", async () => {
    // The clone's own identity signs the commit (no GIT_AUTHOR_* here, no global config at HOME).
    git(clone, ["config", "user.name", "Clone Admin"]);
    git(clone, ["config", "user.email", "admin@clone.example"]);
    const created = await run(
      [
        "sessions",
        "create",
        "--name",
        "from-clone",
        "--configuration-name",
        "good",
        "--target-definition",
        "spec",
        "--target-group",
        "test",
        "localhost",
        "--wait",
        "--poll-interval",
        "1s",
        "--timeout",
        "2m",
      ],
      { unset: ["CFS_GITOPS_REPO", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL"] },
    );
    expect(created.stderr).toMatch(
      /^pushed [0-9a-f]{12} to main: Add session from-clone\n\(pushed to origin; git pull brings it into .*clone\)\n/,
    );
    expect(created.stdout).toMatch(/from-clone: complete, succeeded=true/);
    expect(created.code).toBe(0);
    expect(git(bare, ["show", "main:sessions/from-clone.yaml"])).toContain("name: from-clone");
    expect(git(bare, ["log", "-1", "--format=%an <%ae>", "main"])).toBe("Clone Admin <admin@clone.example>");
    // The clone's own branch is the user's: it is not moved behind their back.
    expect(git(clone, ["ls-tree", "--name-only", "HEAD", "sessions/"])).toBe("");

    const list = await run(["sessions", "list"]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\nfrom-clone\s+complete\s+true/);
    const describeOut = await run(["sessions", "describe", "from-clone", "--format", "json"]);
    expect(describeOut.code).toBe(0);
    expect(JSON.parse(describeOut.stdout)).toMatchObject({
      name: "from-clone",
      status: { session: { status: "complete", succeeded: "true" } },
    });
  });

  it("finds the repository from a subfolder of a linked work tree, as git does", async () => {
    const linked = join(dir.path, "linked");
    git(clone, ["worktree", "add", "-q", "--detach", linked]);
    mkdirSync(join(linked, "deep", "er"), { recursive: true });
    // A linked work tree has no branch checked out here: the clone's origin is its remote.
    const list = await run(["sessions", "list"], { cwd: join(linked, "deep", "er") });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\nfrom-clone\s+complete\s+true/);
  });

  it("lets back-to-back reads share one fetch (CFS_GITOPS_FETCH_REUSE), and asks the remote again when it is 0", async () => {
    const reuse = { env: { CFS_GITOPS_FETCH_REUSE: "1h" } };
    expect((await run(["sessions", "list"], reuse)).code).toBe(0);
    server.reset();
    const again = await run(["sessions", "describe", "from-clone"], reuse);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ status: { session: { status: "complete" } } });
    expect(server.requests).toEqual([]);
    const fresh = await run(["sessions", "list"]);
    expect(fresh.code).toBe(0);
    expect(server.requests.length).toBeGreaterThan(0);
    const bad = await run(["sessions", "list"], { env: { CFS_GITOPS_FETCH_REUSE: "soon" } });
    expect(bad).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("CFS_GITOPS_FETCH_REUSE=soon") as unknown,
    });
  });

  it("takes --repo file:///path as the path", async () => {
    const list = await run(["sessions", "list", "--repo", `file://${bare}`], { cwd: dir.path });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/\nfrom-clone\s+complete\s+true/);
  });

  it("says it cannot reach the remote and exits non-zero, for a read and for a write", async () => {
    const offline = join(dir.path, "offline");
    git(dir.path, ["clone", "-q", bare, offline]);
    git(offline, ["remote", "set-url", "origin", "http://127.0.0.1:9/site.git"]);
    const list = await run(["sessions", "list"], { cwd: offline });
    expect(list.code).not.toBe(0);
    expect(list.stderr).toMatch(/^cfs-gitops: cannot reach origin \(http:\/\/127\.0\.0\.1:9\/site\.git\)/);
    expect(list.stdout).toBe("");
    const create = await run(["sessions", "create", "--name", "nowhere", "--configuration-name", "good"], {
      cwd: offline,
    });
    expect(create.code).toBe(1);
    expect(create.stderr).toMatch(/^cfs-gitops: cannot reach origin .*nothing was read or written/);
  });
});
