import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BranchConflictError,
  createBranchWriter,
  type BranchWriterOptions,
} from "../../../src/git/branch-writer.js";
import { GitAuthError, PushRejectedError } from "../../../src/git/errors.js";
import {
  createFixtureRepo,
  git,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";

const log = pino({ level: "silent" });
const WHEN = new Date("2026-11-21T12:00:00Z");
const AUTHOR = { name: "Jane Operator", email: "jane@example.org" };
const credentials = { username: "writer", password: "writer-pw-7Qz" };

let dir: string;
let counter = 0;

beforeAll(async () => {
  dir = await makeTempDir("cfs-branch-writer-");
});
afterAll(async () => {
  await removeTempDir(dir);
});

const change = (files: Record<string, string | null>, extra: Record<string, unknown> = {}) => ({
  branch: "main",
  changes: new Map(Object.entries(files).map(([p, t]) => [p, t === null ? null : Buffer.from(t)])),
  message: "Add things",
  author: AUTHOR,
  when: WHEN,
  ...extra,
});

async function localRepo(): Promise<FixtureRepo> {
  const repo = await createFixtureRepo({ dir: join(dir, `local-${++counter}`) });
  await repo.commit({ files: { "sessions/a.yaml": "a\n", README: "hi\n" } });
  return repo;
}

const show = (gitDir: string, ref: string, path: string) =>
  git([`--git-dir=${gitDir}`, "show", `${ref}:${path}`]);

describe("createBranchWriter on a local repository", () => {
  const writer = (repo: FixtureRepo, extra: Partial<BranchWriterOptions> = {}) =>
    createBranchWriter({ gitDir: repo.gitDir, log, sleep: async () => {}, ...extra });

  it("commits on top of the tip with a compare-and-swap, as the author, at the given time", async () => {
    const repo = await localRepo();
    const before = await repo.tip();
    const w = writer(repo);
    const result = await w.commit(change({ "sessions/b.yaml": "b\n", "sessions/a.yaml": null }));
    await w.close();
    expect(result).toMatchObject({ parent: before, created: false, retries: 0, workTreeWarning: null });
    expect(await repo.tip()).toBe(result.commit);
    expect(await show(repo.gitDir, "main", "sessions/b.yaml")).toBe("b\n");
    expect(await repo.git(["ls-tree", "--name-only", "-r", "main"])).toBe("README\nsessions/b.yaml\n");
    expect(await repo.git(["log", "-1", "--format=%an <%ae> %at %s", "main"])).toBe(
      `Jane Operator <jane@example.org> ${WHEN.getTime() / 1000} Add things\n`,
    );
    expect(await repo.git(["for-each-ref", "refs/cfs-gitops/"])).toBe("");
  });

  it("rebuilds on the new tip when another writer moved the branch, if none of its files changed", async () => {
    const repo = await localRepo();
    let moved = false;
    const w = writer(repo, {
      beforePublish: async () => {
        if (moved) return;
        moved = true;
        await repo.commit({ files: { "configurations/c.yaml": "c\n" }, message: "someone else" });
      },
    });
    const result = await w.commit(change({ "sessions/b.yaml": "b\n" }));
    await w.close();
    expect(result.retries).toBe(1);
    expect(await repo.git(["log", "--format=%s", "main"])).toBe(
      "Add things\nsomeone else\ncommit at 1700000000\n",
    );
    expect(await show(repo.gitDir, "main", "configurations/c.yaml")).toBe("c\n");
  });

  it("stops with BranchConflictError, publishing nothing, when the same file changed meanwhile", async () => {
    const repo = await localRepo();
    const w = writer(repo, {
      beforePublish: async () => {
        if ((await repo.git(["log", "--format=%s", "main"])).includes("theirs")) return;
        await repo.commit({ files: { "sessions/b.yaml": "theirs\n" }, message: "theirs" });
      },
    });
    const error = await w.commit(change({ "sessions/b.yaml": "ours\n" })).catch((e: unknown) => e);
    await w.close();
    expect(error).toBeInstanceOf(BranchConflictError);
    expect((error as Error).message).toMatch(
      /^sessions\/b\.yaml changed on main meanwhile \([0-9a-f]+ by Fixture Author: theirs\): nothing was pushed/,
    );
    expect(await show(repo.gitDir, "main", "sessions/b.yaml")).toBe("theirs\n");
  });

  it("checks against the commit the caller validated, not only the tip it finds", async () => {
    const repo = await localRepo();
    const validated = await repo.tip();
    await repo.commit({ files: { "sessions/b.yaml": "already\n" }, message: "meanwhile" });
    const w = writer(repo);
    const error = await w
      .commit(change({ "sessions/b.yaml": "b\n" }, { base: validated }))
      .catch((e: unknown) => e);
    await w.close();
    expect(error).toBeInstanceOf(BranchConflictError);
  });

  it("checks the change again only on a tip it was rebased onto, and stops when the check throws", async () => {
    const repo = await localRepo();
    const validated = await repo.tip();
    const checked: string[] = [];
    let moved = false;
    const w = writer(repo, {
      beforePublish: async () => {
        if (moved) return;
        moved = true;
        await repo.commit({ files: { "configurations/c.yaml": "c\n" }, message: "someone else" });
      },
    });
    const check = (parent: string) => {
      checked.push(parent);
      return Promise.reject(new Error("the configuration is gone on the new tip"));
    };
    const error = await w
      .commit(change({ "sessions/b.yaml": "b\n" }, { base: validated, check }))
      .catch((e: unknown) => e);
    await w.close();
    expect((error as Error).message).toBe("the configuration is gone on the new tip");
    expect(checked).toEqual([await repo.tip()]);
    expect(checked[0]).not.toBe(validated);
  });

  it("gives up with PushRejectedError when the branch keeps moving", async () => {
    const repo = await localRepo();
    let n = 0;
    const w = writer(repo, {
      maxRetries: 2,
      beforePublish: async () => {
        await repo.commit({ files: { [`other/${++n}`]: "x" } });
      },
    });
    const error = await w.commit(change({ "sessions/b.yaml": "b\n" })).catch((e: unknown) => e);
    await w.close();
    expect(error).toBeInstanceOf(PushRejectedError);
    expect((error as Error).message).toBe(
      "branch main kept moving: gave up after 3 attempts; run the command again",
    );
  });

  it("creates a new branch from another one, and refuses when neither exists", async () => {
    const repo = await localRepo();
    const w = writer(repo);
    const result = await w.commit(
      change({ "sessions/pr.yaml": "pr\n" }, { branch: "add-pr", startFrom: "main" }),
    );
    expect(result.created).toBe(true);
    expect(result.parent).toBe(await repo.tip());
    expect(await repo.tip("add-pr")).toBe(result.commit);
    await expect(w.commit(change({ x: "x" }, { branch: "nope", startFrom: "nope-either" }))).rejects.toThrow(
      "branch nope does not exist (nor does nope-either, to start it from)",
    );
    await w.close();
  });

  it("brings a work tree that has the branch checked out along, keeping unrelated local edits", async () => {
    const repo = await localRepo();
    await git(["-C", repo.path, "checkout", "--quiet", "-f", "main"]);
    writeFileSync(join(repo.path, "README"), "local edit\n");
    const w = writer(repo, { workTree: repo.path });
    const result = await w.commit(change({ "sessions/b.yaml": "b\n" }));
    expect(result.workTreeWarning).toBeNull();
    expect(readFileSync(join(repo.path, "sessions/b.yaml"), "utf8")).toBe("b\n");
    expect(await git(["-C", repo.path, "status", "--porcelain"])).toBe(" M README\n");
    writeFileSync(join(repo.path, "sessions/c.yaml"), "mine, not committed\n");
    const second = await w.commit(change({ "sessions/c.yaml": "theirs\n" }));
    await w.close();
    expect(second.workTreeWarning).toMatch(/still shows the files before this commit/);
    expect(await show(repo.gitDir, "main", "sessions/c.yaml")).toBe("theirs\n");
  });
});

describe("createBranchWriter on a remote over HTTP", () => {
  let server: GitHttpServer;
  let origin: FixtureRepo;
  let url: string;

  beforeAll(async () => {
    origin = await createFixtureRepo({ dir: join(dir, "served", "config.git"), bare: true });
    await origin.commit({ files: { "sessions/a.yaml": "a\n" } });
    server = await startGitHttpServer({ root: join(dir, "served"), auth: credentials });
    url = server.url("config.git");
  });
  afterAll(async () => {
    await server.close();
  });

  const remoteWriter = (extra: Partial<BranchWriterOptions> = {}) =>
    createBranchWriter({
      gitDir: join(dir, `cache-${++counter}.git`),
      remote: { url, credentials },
      log,
      sleep: async () => {},
      ...extra,
    });

  async function cacheFor(w: ReturnType<typeof remoteWriter>): Promise<void> {
    await w.tip("main");
  }

  it("pushes with a lease; a second writer's push in between makes it rebase and push again", async () => {
    const gitDir = join(dir, `cache-${++counter}.git`);
    await git(["init", "--quiet", "--bare", gitDir]);
    let raced = false;
    const w = createBranchWriter({
      gitDir,
      remote: { url, credentials },
      log,
      sleep: async () => {},
      beforePublish: async () => {
        if (raced) return;
        raced = true;
        await origin.commit({ files: { "configurations/x.yaml": "x\n" }, message: "second writer" });
      },
    });
    await cacheFor(w);
    const result = await w.commit(change({ "sessions/b.yaml": "b\n" }));
    await w.close();
    expect(result.retries).toBe(1);
    expect(await origin.tip()).toBe(result.commit);
    expect(await origin.git(["log", "--format=%s", "-2", "main"])).toBe("Add things\nsecond writer\n");
    // The first push is refused on the lease (git sees the moved ref in the advertisement), the second lands.
    const pushes = server.requests.filter((r) => r.service === "git-receive-pack");
    expect(pushes.filter((r) => r.method === "GET").length).toBeGreaterThanOrEqual(2);
    expect(pushes.filter((r) => r.method === "POST").length).toBeGreaterThanOrEqual(1);
    expect(pushes.every((r) => r.authorization !== null && r.status !== 401)).toBe(true);
  });

  it("creates a pull-request branch on the remote from the watched branch", async () => {
    const w = remoteWriter();
    const result = await w.commit(
      change({ "sessions/pr.yaml": "pr\n" }, { branch: "add-pr", startFrom: "main" }),
    );
    await w.close();
    expect(result.created).toBe(true);
    expect(await origin.tip("add-pr")).toBe(result.commit);
    expect(await origin.git(["rev-parse", "add-pr^"])).toBe(`${await origin.tip()}\n`);
  });

  it("fails with GitAuthError, and no secret in the message, when the credentials are refused", async () => {
    const w = createBranchWriter({
      gitDir: join(dir, `cache-${++counter}.git`),
      remote: { url, credentials: { username: "writer", password: "wrong-pw-123" } },
      log,
    });
    const error = await w.tip("main").catch((e: unknown) => e);
    await w.close();
    expect(error).toBeInstanceOf(GitAuthError);
    expect((error as Error).message).not.toContain("wrong-pw-123");
  });
});
