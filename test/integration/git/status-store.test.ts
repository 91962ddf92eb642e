import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GitAuthError, GitCommandError, PushRejectedError } from "../../../src/git/errors.js";
import { createStatusStore, type StatusStoreOptions } from "../../../src/git/status-store.js";
import type { MergeFn, StatusCommitInput, StatusStore } from "../../../src/git/types.js";
import {
  createFixtureRepo,
  git,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { captureLog } from "../../helpers/git-log-capture.js";

const BRANCH = "cfs-status";
const NOW = new Date("2024-01-01T00:00:00Z");
const credentials = { username: "cfs-bot", password: "status-pw-9Xy!" };

let dir: string;
let counter = 0;

const json = (value: unknown) => Buffer.from(`${JSON.stringify(value)}\n`);

function input(
  changes: Record<string, Buffer | null>,
  extra: Partial<StatusCommitInput> = {},
): StatusCommitInput {
  return {
    changes: new Map(Object.entries(changes)),
    message: (committed) => `status: ${committed.size} changed\n\n${[...committed.keys()].sort().join("\n")}`,
    now: NOW,
    ...extra,
  };
}

async function newRepo(): Promise<FixtureRepo> {
  const repo = await createFixtureRepo({ dir: `${dir}/repo-${++counter}` });
  await repo.commit({ files: { "cfs.yaml": "session_ttl: 7d\n" } });
  return repo;
}

async function files(gitDir: string, ref: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const names = (await git([`--git-dir=${gitDir}`, "ls-tree", "-r", "--name-only", "-z", ref]))
    .split("\0")
    .filter(Boolean);
  for (const name of names) out[name] = await git([`--git-dir=${gitDir}`, "show", `${ref}:${name}`]);
  return out;
}

async function parents(gitDir: string, commit: string): Promise<string[]> {
  return (await git([`--git-dir=${gitDir}`, "rev-list", "--parents", "-n", "1", commit]))
    .trim()
    .split(" ")
    .slice(1);
}

beforeAll(async () => {
  dir = await makeTempDir();
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe("createStatusStore (local branch)", () => {
  let repo: FixtureRepo;
  let store: StatusStore;
  const options = (extra: Partial<StatusStoreOptions> = {}): StatusStoreOptions => ({
    gitDir: repo.path,
    branch: BRANCH,
    log: captureLog().log,
    sleep: async () => {},
    ...extra,
  });

  beforeAll(async () => {
    repo = await newRepo();
    store = await createStatusStore(options());
  });

  afterAll(async () => {
    await store.close();
  });

  it("starts empty when the branch does not exist", async () => {
    expect(await store.load()).toEqual({ tip: null, files: new Map() });
  });

  it("makes an orphan first commit with a fixed identity and time, so its id is exact", async () => {
    const result = await store.commit(input({ "sessions/a.json": json({ status: "pending" }) }));
    expect(result).not.toBeNull();
    // The id `git commit-tree` gives the same tree, identity, time and message (checked by hand).
    expect(result!.commit).toBe("54491489a4b8325f6aeb073ebfb57662eee42659");
    expect(result!.retries).toBe(0);
    expect(await repo.tip(BRANCH)).toBe(result!.commit);
    expect(await parents(repo.gitDir, result!.commit)).toEqual([]);
    expect(await files(repo.gitDir, BRANCH)).toEqual({ "sessions/a.json": '{"status":"pending"}\n' });
    const header = await git([`--git-dir=${repo.gitDir}`, "cat-file", "commit", result!.commit]);
    expect(header).toContain("author cfs-gitops <cfs-gitops@localhost> 1704067200 +0000");
    expect(header).toContain("committer cfs-gitops <cfs-gitops@localhost> 1704067200 +0000");
    expect(header).toContain("status: 1 changed\n\nsessions/a.json\n");
  });

  it("commits changes on top of the tip, with the message built from what is committed", async () => {
    const before = await store.load();
    const seen: string[][] = [];
    const result = await store.commit(
      input(
        { "sessions/a.json": json({ status: "running" }), "sessions/b.json": json({ status: "pending" }) },
        { message: (c) => (seen.push([...c.keys()].sort()), "status: 1 running, 1 pending") },
      ),
    );
    expect(seen).toEqual([["sessions/a.json", "sessions/b.json"]]);
    expect(await parents(repo.gitDir, result!.commit)).toEqual([before.tip]);
    expect(await files(repo.gitDir, BRANCH)).toEqual({
      "sessions/a.json": '{"status":"running"}\n',
      "sessions/b.json": '{"status":"pending"}\n',
    });
    const after = await store.load();
    expect(after.tip).toBe(result!.commit);
    expect([...after.files.keys()].sort()).toEqual(["sessions/a.json", "sessions/b.json"]);
  });

  it("returns null and makes no commit when nothing would change", async () => {
    const tip = await repo.tip(BRANCH);
    const nothing = await store.commit(
      input({ "sessions/a.json": json({ status: "running" }), "sessions/never-there.json": null }),
    );
    expect(nothing).toBeNull();
    expect(await repo.tip(BRANCH)).toBe(tip);
  });

  it("commits only the changes that differ", async () => {
    const result = await store.commit(
      input({
        "sessions/a.json": json({ status: "running" }),
        "sessions/b.json": json({ status: "running" }),
      }),
    );
    expect([...result!.changes.keys()]).toEqual(["sessions/b.json"]);
  });

  it("deletes files", async () => {
    const result = await store.commit(input({ "sessions/a.json": null }));
    expect(result!.changes.get("sessions/a.json")).toBeNull();
    expect(Object.keys(await files(repo.gitDir, BRANCH))).toEqual(["sessions/b.json"]);
    expect((await store.load()).files.has("sessions/a.json")).toBe(false);
  });

  it("sees commits made by someone else on the next load", async () => {
    const theirs = await repo.commit({ branch: BRANCH, files: { "problems/x.json": "{}\n" } });
    const snapshot = await store.load();
    expect(snapshot.tip).toBe(theirs);
    expect([...snapshot.files.keys()].sort()).toEqual(["problems/x.json", "sessions/b.json"]);
    const blobs = await store.readBlobs([snapshot.files.get("problems/x.json")!]);
    expect([...blobs.values()].map((b) => b.toString())).toEqual(["{}\n"]);
  });

  it("refuses paths git could not store", async () => {
    await expect(store.commit(input({ "../escape.json": json(1) }))).rejects.toBeInstanceOf(GitCommandError);
    await expect(store.commit(input({ ".git/config": json(1) }))).rejects.toBeInstanceOf(GitCommandError);
  });

  it("rebuilds on the new tip when another writer wins the compare-and-swap, merging moved paths", async () => {
    const other = await createStatusStore(options());
    const merges: Array<[string, string | null, string | null]> = [];
    let theirCommit: string | undefined;
    const merge: MergeFn = (path, theirs, ours) => {
      merges.push([path, theirs?.toString() ?? null, ours?.toString() ?? null]);
      return Buffer.from(`${theirs?.toString().trim()}+${ours?.toString().trim()}\n`);
    };
    const racing = await createStatusStore(
      options({
        beforePublish: async ({ attempt }) => {
          if (attempt > 0) return;
          const theirs = await other.commit(
            input({ "sessions/b.json": json("theirs"), "sessions/other.json": json("other") }),
          );
          theirCommit = theirs!.commit;
        },
      }),
    );
    try {
      await racing.load();
      const result = await racing.commit(
        input({ "sessions/b.json": json("ours"), "sessions/mine.json": json("mine") }, { merge }),
      );
      expect(result!.retries).toBe(1);
      expect(merges).toEqual([["sessions/b.json", '"theirs"\n', '"ours"\n']]);
      expect(await parents(repo.gitDir, result!.commit)).toEqual([theirCommit]);
      const now = await files(repo.gitDir, BRANCH);
      expect(now["sessions/b.json"]).toBe('"theirs"+"ours"\n');
      expect(now["sessions/other.json"]).toBe('"other"\n');
      expect(now["sessions/mine.json"]).toBe('"mine"\n');
    } finally {
      await Promise.all([other.close(), racing.close()]);
    }
  });

  it("gives up with PushRejectedError after maxRetries, backing off with jitter", async () => {
    const other = await createStatusStore(options());
    const sleeps: number[] = [];
    let n = 0;
    const racing = await createStatusStore(
      options({
        maxRetries: 3,
        random: () => 0.5,
        sleep: (ms) => {
          sleeps.push(ms);
          return Promise.resolve();
        },
        beforePublish: async () => {
          await other.commit(input({ "sessions/churn.json": json(++n) }));
        },
      }),
    );
    try {
      await expect(racing.commit(input({ "sessions/never.json": json(1) }))).rejects.toBeInstanceOf(
        PushRejectedError,
      );
      expect(sleeps).toEqual([25, 50, 100]);
      expect(Object.keys(await files(repo.gitDir, BRANCH))).not.toContain("sessions/never.json");
    } finally {
      await Promise.all([other.close(), racing.close()]);
    }
  });
});

describe("createStatusStore (remote branch over HTTP)", () => {
  let server: GitHttpServer;
  let origin: FixtureRepo;
  let url: string;
  const remoteOptions = (name: string, extra: Partial<StatusStoreOptions> = {}): StatusStoreOptions => ({
    gitDir: `${dir}/caches/${name}.git`,
    branch: BRANCH,
    remote: { url, credentials },
    log: captureLog().log,
    sleep: async () => {},
    ...extra,
  });

  beforeAll(async () => {
    origin = await createFixtureRepo({ dir: `${dir}/srv/status.git`, bare: true });
    await origin.commit({ files: { "cfs.yaml": "x: 1\n" } });
    server = await startGitHttpServer({ root: `${dir}/srv`, auth: credentials });
    url = server.url("status.git");
  });

  afterAll(async () => {
    await server.close();
  });

  it("pushes an orphan first commit, then commits on top of it", async () => {
    const store = await createStatusStore(remoteOptions("a"));
    try {
      expect((await store.load()).tip).toBeNull();
      const first = await store.commit(input({ "sessions/a.json": json({ status: "pending" }) }));
      expect(first!.commit).toBe("54491489a4b8325f6aeb073ebfb57662eee42659");
      expect(await origin.tip(BRANCH)).toBe(first!.commit);
      const second = await store.commit(input({ "sessions/a.json": json({ status: "running" }) }));
      expect(await origin.tip(BRANCH)).toBe(second!.commit);
      expect(await parents(origin.gitDir, second!.commit)).toEqual([first!.commit]);
    } finally {
      await store.close();
    }
  });

  it("loads an unchanged branch with one request, and a no-op commit pushes nothing", async () => {
    const store = await createStatusStore(remoteOptions("a"));
    try {
      await store.load();
      server.reset();
      const snapshot = await store.load();
      expect(snapshot.files.get("sessions/a.json")).toBeDefined();
      expect(server.requests.map((r) => `${r.method} ${r.service}`)).toEqual(["GET git-upload-pack"]);
      server.reset();
      expect(await store.commit(input({ "sessions/a.json": json({ status: "running" }) }))).toBeNull();
      expect(server.requests).toEqual([]);
    } finally {
      await store.close();
    }
  });

  it("retries a rejected push when a second writer pushed in between, keeping both writers' changes", async () => {
    const writerB = await createStatusStore(remoteOptions("b"));
    const merged: string[] = [];
    const writerA = await createStatusStore(
      remoteOptions("a", {
        beforePublish: async ({ attempt }) => {
          if (attempt === 0)
            await writerB.commit(input({ "sessions/a.json": json("B"), "sessions/b.json": json("B") }));
        },
      }),
    );
    try {
      await writerA.load();
      const result = await writerA.commit(
        input(
          { "sessions/a.json": json("A"), "sessions/c.json": json("A") },
          {
            merge: (path, theirs, ours) => (
              merged.push(path),
              Buffer.concat([theirs ?? Buffer.alloc(0), ours ?? Buffer.alloc(0)])
            ),
          },
        ),
      );
      expect(result!.retries).toBe(1);
      expect(merged).toEqual(["sessions/a.json"]);
      expect(await origin.tip(BRANCH)).toBe(result!.commit);
      const now = await files(origin.gitDir, BRANCH);
      expect(now["sessions/a.json"]).toBe('"B"\n"A"\n');
      expect(now["sessions/b.json"]).toBe('"B"\n');
      expect(now["sessions/c.json"]).toBe('"A"\n');
    } finally {
      await Promise.all([writerA.close(), writerB.close()]);
    }
  });

  it("fails with GitAuthError on wrong credentials, with no secret in the error or the log", async () => {
    const captured = captureLog();
    const wrong = { username: "cfs-bot", password: "nope-Secret-77" };
    const store = await createStatusStore({
      ...remoteOptions("c", { log: captured.log }),
      remote: { url, credentials: wrong },
    });
    try {
      const error = await store.load().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GitAuthError);
      const text = `${(error as Error).message} ${JSON.stringify((error as GitAuthError).data)} ${captured.text()}`;
      expect(text).not.toContain(wrong.password);
      expect(text).not.toContain(`${wrong.username}:${wrong.password}`);
    } finally {
      await store.close();
    }
  });
});

describe("createStatusStore cost", () => {
  it("commits 1,000 changes on a branch of 10,000 files without re-listing the branch", async () => {
    const repo = await newRepo();
    const store = await createStatusStore({ gitDir: repo.path, branch: BRANCH, log: captureLog().log });
    try {
      const all = new Map<string, Buffer>();
      for (let i = 0; i < 10_000; i++)
        all.set(`sessions/s-${i}.json`, json({ name: `s-${i}`, status: "pending" }));
      let t = performance.now();
      await store.commit({ changes: all, message: () => "seed", now: NOW });
      const seedMs = performance.now() - t;
      const changes = new Map<string, Buffer>();
      for (let i = 0; i < 1_000; i++)
        changes.set(`sessions/s-${i * 10}.json`, json({ name: `s-${i * 10}`, status: "running" }));
      t = performance.now();
      const result = await store.commit({ changes, message: (c) => `status: ${c.size} running`, now: NOW });
      const commitMs = performance.now() - t;
      expect(result!.changes.size).toBe(1_000);
      t = performance.now();
      const fresh = await createStatusStore({ gitDir: repo.path, branch: BRANCH, log: captureLog().log });
      const snapshot = await fresh.load();
      const loadMs = performance.now() - t;
      await fresh.close();
      expect(snapshot.files.size).toBe(10_000);
      t = performance.now();
      expect(await store.commit({ changes, message: () => "x", now: NOW })).toBeNull();
      const noopMs = performance.now() - t;
      console.log(
        `status store: seed 10,000 files ${seedMs.toFixed(0)} ms; commit 1,000 changes ${commitMs.toFixed(0)} ms; ` +
          `no-op of 1,000 ${noopMs.toFixed(1)} ms; cold load of 10,000 ${loadMs.toFixed(0)} ms`,
      );
    } finally {
      await store.close();
    }
  });
});
