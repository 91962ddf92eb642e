import type { ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCatFileReader } from "../../../src/git/cat-file-reader.js";
import { GitCommandError } from "../../../src/git/errors.js";
import { createLocalSource } from "../../../src/git/local-source.js";
import type { ChangedFile } from "../../../src/git/types.js";
import {
  createFixtureRepo,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { captureLog } from "../../helpers/git-log-capture.js";

const SUBMODULE_COMMIT = "1234567890123456789012345678901234567890";

let dir: string;
let repo: FixtureRepo;
let first: string;
let second: string;
const { log } = captureLog();

function byPath(files: ChangedFile[]): ChangedFile[] {
  return [...files].sort((a, b) => a.path.localeCompare(b.path));
}

beforeAll(async () => {
  dir = await makeTempDir();
  repo = await createFixtureRepo({ dir: `${dir}/work` });
  first = await repo.commit({
    files: {
      "cfs.yaml": "session_ttl: 7d\n",
      "sessions/a.yaml": "name: a\n",
      "sessions/b.yaml": "name: b\n",
      "sessions/big.yaml": "x".repeat(5000),
      "sessions/link.yaml": { symlink: "../../etc/passwd" },
      "vendor/lib": { submodule: SUBMODULE_COMMIT },
    },
  });
  second = await repo.commit({
    files: {
      "sessions/a.yaml": "name: a\nedited: true\n",
      "sessions/b.yaml": null,
      "sessions/c.yaml": "name: c\n",
    },
  });
});

afterAll(async () => {
  await removeTempDir(dir);
});

describe("createLocalSource", () => {
  it("reads the branch tip, and null for a branch that does not exist", async () => {
    const source = await createLocalSource({ path: repo.path, branch: "main", log });
    const missing = await createLocalSource({ path: repo.path, branch: "nope", log });
    try {
      expect(await source.fetchTip()).toBe(second);
      expect(await missing.fetchTip()).toBeNull();
      expect(source.description).toContain("branch main");
    } finally {
      await Promise.all([source.close(), missing.close()]);
    }
  });

  it("lists every file of the first commit as added, symlinks and submodules with their modes", async () => {
    const source = await createLocalSource({ path: repo.path, branch: "main", log });
    try {
      const files = byPath(await source.diff(null, first));
      expect(files.map((f) => [f.path, f.status, f.mode])).toEqual([
        ["cfs.yaml", "added", "100644"],
        ["sessions/a.yaml", "added", "100644"],
        ["sessions/b.yaml", "added", "100644"],
        ["sessions/big.yaml", "added", "100644"],
        ["sessions/link.yaml", "added", "120000"],
        ["vendor/lib", "added", "160000"],
      ]);
      expect(files.find((f) => f.path === "vendor/lib")?.oid).toBe(SUBMODULE_COMMIT);
    } finally {
      await source.close();
    }
  });

  it("diffs two commits into only the files that changed", async () => {
    const source = await createLocalSource({ path: repo.path, branch: "main", log });
    try {
      const files = byPath(await source.diff(first, second));
      expect(files.map((f) => [f.path, f.status])).toEqual([
        ["sessions/a.yaml", "modified"],
        ["sessions/b.yaml", "deleted"],
        ["sessions/c.yaml", "added"],
      ]);
      const deleted = files.find((f) => f.status === "deleted")!;
      expect(deleted.oid).toBeNull();
      expect(deleted.oldOid).toMatch(/^[0-9a-f]{40}$/);
      expect(await source.diff(second, second)).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it("reads blobs, leaves over-limit blobs unread and missing or non-blob ids out", async () => {
    const source = await createLocalSource({ path: repo.path, branch: "main", log });
    try {
      const files = await source.diff(null, first);
      const oid = (path: string) => files.find((f) => f.path === path)!.oid!;
      const wanted = [
        oid("cfs.yaml"),
        oid("sessions/big.yaml"),
        oid("sessions/link.yaml"),
        "f".repeat(40),
        first,
        "not-an-id",
      ];
      const blobs = await source.readBlobs(wanted, 1000);
      expect(blobs.get(oid("cfs.yaml"))?.data?.toString()).toBe("session_ttl: 7d\n");
      expect(blobs.get(oid("sessions/big.yaml"))).toEqual({
        oid: oid("sessions/big.yaml"),
        size: 5000,
        data: null,
      });
      expect(blobs.get(oid("sessions/link.yaml"))?.data?.toString()).toBe("../../etc/passwd");
      expect(blobs.has("f".repeat(40))).toBe(false);
      expect(blobs.has(first)).toBe(false);
      expect(blobs.size).toBe(3);
      const unlimited = await source.readBlobs([oid("sessions/big.yaml")], Infinity);
      expect(unlimited.get(oid("sessions/big.yaml"))?.data?.length).toBe(5000);
    } finally {
      await source.close();
    }
  });

  it("opens a bare repository too, and refuses a folder that is not a repository", async () => {
    const bare = await createFixtureRepo({ dir: `${dir}/bare.git`, bare: true });
    const tip = await bare.commit({ files: { "cfs.yaml": "x: 1\n" } });
    const source = await createLocalSource({ path: bare.path, branch: "main", log });
    try {
      expect(await source.fetchTip()).toBe(tip);
    } finally {
      await source.close();
    }
    await expect(
      createLocalSource({ path: `${dir}/bare.git/objects`, branch: "main", log }),
    ).rejects.toBeInstanceOf(GitCommandError);
    await expect(createLocalSource({ path: `${dir}/nowhere`, branch: "main", log })).rejects.toBeInstanceOf(
      GitCommandError,
    );
  });

  it("notices a new commit through watch", async () => {
    const source = await createLocalSource({ path: repo.path, branch: "main", log });
    try {
      const before = await source.fetchTip();
      const changed = new Promise<number>((resolve) => {
        const stop = source.watch(() => {
          void stop().then(() => resolve(Date.now()));
        });
      });
      await new Promise((r) => setTimeout(r, 200)); // let the watcher get ready
      const committedAt = Date.now();
      const next = await repo.commit({ files: { "sessions/d.yaml": "name: d\n" } });
      const seenAt = await withTimeout(changed, 5000);
      expect(await source.fetchTip()).toBe(next);
      expect(next).not.toBe(before);
      console.log(`local watch noticed a commit after ${seenAt - committedAt} ms`);
    } finally {
      await source.close();
    }
  });

  it("notices a branch that is created after watching started", async () => {
    const source = await createLocalSource({ path: repo.path, branch: "feature/later", log });
    try {
      expect(await source.fetchTip()).toBeNull();
      const changed = new Promise<void>((resolve) => source.watch(resolve));
      await new Promise((r) => setTimeout(r, 200));
      const created = await repo.commit({ branch: "feature/later", files: { "x.yaml": "x\n" } });
      await withTimeout(changed, 5000);
      expect(await source.fetchTip()).toBe(created);
    } finally {
      await source.close();
    }
  });
});

describe("CatFileReader", () => {
  it("answers concurrent requests in order and restarts when its process dies", async () => {
    const reader = createCatFileReader({ gitDir: repo.gitDir, log });
    try {
      const source = await createLocalSource({ path: repo.path, branch: "main", log });
      const files = await source.diff(null, first);
      await source.close();
      const oids = files.filter((f) => f.mode === "100644").map((f) => f.oid!);
      const results = await Promise.all(oids.map((oid) => reader.readBlobs([oid], 100_000)));
      results.forEach((result, i) => expect([...result.keys()]).toEqual([oids[i]]));
      (reader as unknown as { process: ChildProcess }).process.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 50));
      const again = await reader.readBlobs(oids);
      expect(again.size).toBe(oids.length);
    } finally {
      await reader.close();
    }
  });
});

describe("CatFileReader.resolveCommit", () => {
  it("follows the branch as it moves, is packed and is deleted, without a new process", async () => {
    const own = await createFixtureRepo({ dir: `${dir}/resolve`, bare: true });
    const reader = createCatFileReader({ gitDir: own.gitDir, log });
    try {
      const one = await own.commit({ files: { "a.yaml": "a: 1\n" } });
      expect(await reader.resolveCommit("refs/heads/main")).toBe(one);
      const child = (reader as unknown as { process: ChildProcess }).process;
      const two = await own.commit({ files: { "a.yaml": "a: 2\n" } });
      expect(await reader.resolveCommit("refs/heads/main")).toBe(two);
      await own.git(["pack-refs", "--all"]);
      const three = await own.commit({ files: { "a.yaml": "a: 3\n" } });
      expect(await reader.resolveCommit("refs/heads/main")).toBe(three);
      await own.git(["update-ref", "-d", "refs/heads/main"]);
      expect(await reader.resolveCommit("refs/heads/main")).toBeNull();
      expect((reader as unknown as { process: ChildProcess }).process).toBe(child);
    } finally {
      await reader.close();
    }
  });

  it("answers null for a ref that names a tree, and refuses names that are not full ref names", async () => {
    const reader = createCatFileReader({ gitDir: repo.gitDir, log });
    try {
      const tree = (await repo.git(["rev-parse", "main^{tree}"])).trim();
      await repo.git(["update-ref", "refs/tags/tree-ref", tree]);
      expect(await reader.resolveCommit("refs/tags/tree-ref")).toBeNull();
      expect(await reader.resolveCommit("refs/heads/main")).toBe(await repo.tip());
      for (const bad of ["main", "refs/heads/a b", "refs/heads/a\ninfo HEAD", ""]) {
        await expect(reader.resolveCommit(bad)).rejects.toBeInstanceOf(GitCommandError);
      }
    } finally {
      await repo.git(["update-ref", "-d", "refs/tags/tree-ref"]);
      await reader.close();
    }
  });
});

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms`)), ms)),
  ]);
}

describe("local source cost", () => {
  it("lists and reads 10,000 session files, and diffs one changed file", async () => {
    const big = await createFixtureRepo({ dir: `${dir}/big` });
    const files = new Map<string, string>();
    for (let i = 0; i < 10_000; i++)
      files.set(`sessions/s-${i}.yaml`, `name: s-${i}\nconfiguration:\n  name: c\n`);
    const tip = await big.commit({ files });
    const next = await big.commit({ files: { "sessions/s-5.yaml": "name: s-5\n" } });
    const source = await createLocalSource({ path: big.path, branch: "main", log });
    try {
      let t = performance.now();
      const all = await source.diff(null, tip);
      const listMs = performance.now() - t;
      t = performance.now();
      const blobs = await source.readBlobs(
        all.map((f) => f.oid!),
        1024 * 1024,
      );
      const readMs = performance.now() - t;
      t = performance.now();
      const again = await source.readBlobs(
        all.map((f) => f.oid!),
        1024 * 1024,
      );
      const rereadMs = performance.now() - t;
      t = performance.now();
      const changed = await source.diff(tip, next);
      const diffMs = performance.now() - t;
      expect(all.length).toBe(10_000);
      expect(blobs.size).toBe(10_000);
      expect(again.size).toBe(10_000);
      expect(changed.map((c) => c.path)).toEqual(["sessions/s-5.yaml"]);
      console.log(
        `local source: list 10,000 files ${listMs.toFixed(0)} ms; read 10,000 blobs ${readMs.toFixed(0)} ms ` +
          `(warm ${rereadMs.toFixed(0)} ms); diff of one change ${diffMs.toFixed(0)} ms`,
      );
    } finally {
      await source.close();
    }
  });
});
