import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { credentialEnv } from "../../../src/git/credentials.js";
import { GitAuthError, GitFetchError } from "../../../src/git/errors.js";
import { toRemoteError } from "../../../src/git/remote-errors.js";
import { createRemoteSource, type RemoteSourceOptions } from "../../../src/git/remote-source.js";
import { runGit } from "../../../src/git/run-git.js";
import {
  createFixtureRepo,
  makeTempDir,
  removeTempDir,
  type FixtureRepo,
} from "../../helpers/git-fixture.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { captureLog } from "../../helpers/git-log-capture.js";

const credentials = { username: "cfs-bot", password: "pw-Zq8!x@y" };
const wrong = { username: "cfs-bot", password: "wrong-Kk3#secret" };

let dir: string;
let origin: FixtureRepo;
let server: GitHttpServer;
let url: string;

/** A Sleep the test steps by hand: each call waits until `tick()`. */
function manualClock() {
  const waiting: Array<() => void> = [];
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number, signal?: AbortSignal) =>
      new Promise<void>((resolve, reject) => {
        delays.push(ms);
        waiting.push(resolve);
        signal?.addEventListener("abort", () => reject(signal.reason as Error), { once: true });
      }),
    async tick() {
      for (let i = 0; i < 100 && waiting.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
      waiting.shift()?.();
    },
  };
}

function options(extra: Partial<RemoteSourceOptions> = {}): RemoteSourceOptions {
  return { url, branch: "main", cacheDir: `${dir}/cache`, credentials, log: captureLog().log, ...extra };
}

beforeAll(async () => {
  dir = await makeTempDir();
  origin = await createFixtureRepo({ dir: `${dir}/srv/config.git`, bare: true });
  await origin.commit({ files: { "cfs.yaml": "session_ttl: 7d\n", "sessions/a.yaml": "name: a\n" } });
  server = await startGitHttpServer({ root: `${dir}/srv`, auth: credentials });
  url = server.url("config.git");
});

afterAll(async () => {
  await server.close();
  await removeTempDir(dir);
});

beforeEach(() => {
  server.setAuth(credentials);
  server.reset();
});

describe("createRemoteSource", () => {
  it("fetches the branch into a bare cache and reads it like a local repository", async () => {
    const source = await createRemoteSource(options());
    try {
      const tip = await source.fetchTip();
      expect(tip).toBe(await origin.tip());
      expect(server.requests.some((r) => r.method === "POST" && r.service === "git-upload-pack")).toBe(true);
      const files = await source.diff(null, tip!);
      expect(files.map((f) => f.path).sort()).toEqual(["cfs.yaml", "sessions/a.yaml"]);
      const blobs = await source.readBlobs(
        files.map((f) => f.oid!),
        1024,
      );
      expect([...blobs.values()].map((b) => b.data?.toString()).sort()).toEqual([
        "name: a\n",
        "session_ttl: 7d\n",
      ]);
      expect(source.description).not.toContain(credentials.password);
    } finally {
      await source.close();
    }
  });

  it("polls an unchanged branch with one ref request and no fetch", async () => {
    const source = await createRemoteSource(options());
    try {
      await source.fetchTip();
      server.reset();
      const tip = await source.fetchTip();
      expect(tip).toBe(await origin.tip());
      expect(server.requests.map((r) => `${r.method} ${r.path} ${r.service} ${r.status}`)).toEqual([
        "GET /config.git/info/refs git-upload-pack 200",
      ]);
      const started = performance.now();
      for (let i = 0; i < 10; i++) await source.fetchTip();
      console.log(
        `unchanged poll: ${((performance.now() - started) / 10).toFixed(1)} ms each (git http-backend CGI included)`,
      );
    } finally {
      await source.close();
    }
  });

  it("reuses the cache of an earlier process: no fetch when it already has the tip", async () => {
    const first = await createRemoteSource(options());
    await first.fetchTip();
    await first.close();
    server.reset();
    const second = await createRemoteSource(options());
    try {
      expect(second.gitDir).toBe(first.gitDir);
      await second.fetchTip();
      expect(server.requests.filter((r) => r.method === "POST")).toEqual([]);
    } finally {
      await second.close();
    }
  });

  it("fetches a new commit and diffs only what changed", async () => {
    const source = await createRemoteSource(options());
    try {
      const before = await source.fetchTip();
      const after = await origin.commit({
        files: { "sessions/a.yaml": "name: a\nv: 2\n", "sessions/b.yaml": "name: b\n" },
      });
      server.reset();
      expect(await source.fetchTip()).toBe(after);
      const posts = server.requests.filter((r) => r.method === "POST");
      expect(posts.length).toBeGreaterThan(0);
      expect(posts.every((r) => r.service === "git-upload-pack")).toBe(true);
      const changes = await source.diff(before, after);
      expect(changes.map((c) => [c.path, c.status]).sort()).toEqual([
        ["sessions/a.yaml", "modified"],
        ["sessions/b.yaml", "added"],
      ]);
      const blobs = await source.readBlobs(
        changes.map((c) => c.oid!),
        1024,
      );
      expect(blobs.size).toBe(2);
    } finally {
      await source.close();
    }
  });

  it("localTip fetches once, then answers from the cache with no request; a branch gone from the server leaves the cache", async () => {
    const gone = await origin.commit({ branch: "gone", files: { "cfs.yaml": "session_ttl: 1d\n" } });
    const source = await createRemoteSource(options({ branch: "gone" }));
    try {
      expect(await source.localTip!()).toBe(gone);
      expect(server.requests.length).toBeGreaterThan(0);
      server.reset();
      for (let i = 0; i < 5; i++) expect(await source.localTip!()).toBe(gone);
      expect(server.requests).toEqual([]);
      await runGit({ gitDir: `${dir}/srv/config.git`, args: ["update-ref", "-d", "refs/heads/gone"] });
      expect(await source.localTip!()).toBe(gone); // what this process knows, until a fetch
      expect(await source.fetchTip()).toBeNull();
      expect(await source.localTip!()).toBeNull();
      expect(await source.diff(null, gone)).toHaveLength(1); // the commit itself stays readable
    } finally {
      await source.close();
    }
  });

  it("returns null for a branch the remote does not have, without fetching", async () => {
    const source = await createRemoteSource(options({ branch: "absent" }));
    try {
      expect(await source.fetchTip()).toBeNull();
      expect(server.requests.filter((r) => r.method === "POST")).toEqual([]);
    } finally {
      await source.close();
    }
  });

  it("returns null for an empty repository", async () => {
    await createFixtureRepo({ dir: `${dir}/srv/empty.git`, bare: true });
    const source = await createRemoteSource(options({ url: server.url("empty.git") }));
    try {
      expect(await source.fetchTip()).toBeNull();
    } finally {
      await source.close();
    }
  });

  it("watch polls at the jittered interval and calls onChange only when the tip moved", async () => {
    const clock = manualClock();
    const source = await createRemoteSource(
      options({ pollIntervalMs: 1000, jitter: 0.1, random: () => 1, sleep: clock.sleep }),
    );
    let changes = 0;
    const stop = source.watch(() => void changes++);
    try {
      await source.fetchTip();
      server.reset();
      await clock.tick(); // poll 1: nothing new
      await clock.tick(); // (wait for poll 1 to finish and sleep again)
      expect(changes).toBe(0);
      expect(server.requests.length).toBe(1);
      expect(server.requests.filter((r) => r.method === "POST")).toEqual([]);
      await origin.commit({ files: { "sessions/c.yaml": "name: c\n" } });
      await clock.tick(); // poll 2 sees the new tip (the previous tick released poll 2)
      for (let i = 0; i < 100 && changes === 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(changes).toBeGreaterThanOrEqual(1);
      expect(clock.delays[0]).toBeCloseTo(1100);
    } finally {
      await stop();
      await source.close();
    }
  });

  it("takes credentials from the URL and keeps them out of the description", async () => {
    const withUserinfo = url.replace(
      "http://",
      `http://${credentials.username}:${encodeURIComponent(credentials.password)}@`,
    );
    const source = await createRemoteSource(options({ url: withUserinfo, credentials: null }));
    try {
      expect(await source.fetchTip()).toBe(await origin.tip());
      expect(source.description).not.toContain(credentials.password);
      expect(source.description).not.toContain(encodeURIComponent(credentials.password));
    } finally {
      await source.close();
    }
  });

  it("fails with GitAuthError on wrong credentials, with no secret in the message or the log", async () => {
    const captured = captureLog();
    const source = await createRemoteSource(options({ credentials: wrong, log: captured.log }));
    try {
      const error = await source.fetchTip().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GitAuthError);
      const auth = error as GitAuthError;
      expect(auth.code).toBe("GitAuthError");
      const everything = `${auth.message} ${JSON.stringify(auth.data)} ${String(auth.stack)} ${captured.text()}`;
      for (const secret of [
        wrong.password,
        `${wrong.username}:${wrong.password}`,
        encodeURIComponent(wrong.password),
      ]) {
        expect(everything).not.toContain(secret);
      }
    } finally {
      await source.close();
    }
  });

  it("maps git's own refusal (CLI fetch with wrong credentials) to a scrubbed GitAuthError", async () => {
    const cache = await createRemoteSource(options());
    await cache.close();
    const secrets = [wrong.password, `${wrong.username}:${wrong.password}`];
    const error = await runGit({
      gitDir: cache.gitDir,
      args: ["fetch", "--quiet", url, "+refs/heads/main:refs/heads/x"],
      env: credentialEnv(wrong),
      secrets,
    }).then(
      () => null,
      (e: unknown) => toRemoteError(e, { operation: "fetch", url, secrets }),
    );
    expect(error).toBeInstanceOf(GitAuthError);
    expect(`${error!.message} ${JSON.stringify(error!.data)}`).not.toContain(wrong.password);
    expect(server.requests.every((r) => r.status === 401)).toBe(true);
  });

  it("fails with GitFetchError when the server is unreachable", async () => {
    const source = await createRemoteSource(options({ url: "http://127.0.0.1:9/nothing.git" }));
    try {
      await expect(source.fetchTip()).rejects.toBeInstanceOf(GitFetchError);
    } finally {
      await source.close();
    }
  });

  it("falls back to git ls-remote for URLs the in-process client cannot speak (file://)", async () => {
    const source = await createRemoteSource(options({ url: `file://${origin.gitDir}`, credentials: null }));
    try {
      expect(await source.fetchTip()).toBe(await origin.tip());
    } finally {
      await source.close();
    }
  });
});
