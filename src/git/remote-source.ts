/**
 * The configuration repository over http(s), mirrored into a bare cache repository. A poll asks
 * the server for the branch tip in-process (one request); only when it differs from the cache
 * does `git fetch` run. Diffs and blob reads then work on the cache exactly like a local source.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { Logger } from "pino";
import { createCatFileReader, type CatFileReader } from "./cat-file-reader.js";
import { credentialEnv, credentialSecrets, splitUrlCredentials, type Credentials } from "./credentials.js";
import { diffCommits } from "./diff-tree.js";
import { toRemoteError } from "./remote-errors.js";
import { createRemoteProbe, type RemoteProbe } from "./remote-probe.js";
import { assertBranchName, readRef, serial } from "./repository.js";
import { runGit } from "./run-git.js";
import { redactUrl } from "./scrub-secrets.js";
import type { BlobRead, ChangedFile, ConfigSource } from "./types.js";

/** Wait `ms`; rejects (or resolves early) when `signal` aborts. Injected so tests control time. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const DEFAULT_POLL_INTERVAL_MS = 30_000;
export const DEFAULT_POLL_JITTER = 0.1;
const DEFAULT_FETCH_TIMEOUT_MS = 10 * 60_000;

/** The default Sleep: a timer that an abort cancels. */
export const realSleep: Sleep = (ms, signal) => delay(ms, undefined, signal ? { signal } : {});

/** Options of `createRemoteSource`. */
export interface RemoteSourceOptions {
  /** http(s) URL; credentials in it are taken out and used like `credentials`. */
  url: string;
  branch: string;
  /** Folder for cache repositories (one bare repository per URL). */
  cacheDir: string;
  credentials?: Credentials | null;
  pollIntervalMs?: number;
  /** 0..1: each poll interval is scaled by a random factor in [1 - jitter, 1 + jitter]. */
  jitter?: number;
  log: Logger;
  random?: () => number;
  sleep?: Sleep;
  fetchTimeoutMs?: number;
}

/** A ConfigSource over a remote; `gitDir` is its bare cache repository. */
export interface RemoteSource extends ConfigSource {
  readonly gitDir: string;
}

/** The cache repository for a URL: readable name plus a hash of the URL without credentials. */
export function cacheRepoPath(options: { cacheDir: string; url: string }): string {
  const url = splitUrlCredentials(options.url).url;
  const hash = createHash("sha256").update(url).digest("hex").slice(0, 16);
  const stem = (url.split("/").pop() ?? "repo").replace(/\.git$/, "").replace(/[^A-Za-z0-9._-]/g, "_");
  return join(options.cacheDir, `${stem.slice(0, 40) || "repo"}-${hash}.git`);
}

/** Make sure a bare repository exists at `gitDir`. */
export async function ensureBareRepository(gitDir: string): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  await runGit({ args: ["init", "--bare", "--quiet", gitDir], timeoutMs: 30_000 });
}

/** Open (creating if needed) the cache for `options.url`; nothing is fetched until `fetchTip`. */
export async function createRemoteSource(options: RemoteSourceOptions): Promise<RemoteSource> {
  assertBranchName(options.branch);
  const split = splitUrlCredentials(options.url);
  const credentials = options.credentials ?? split.credentials;
  const gitDir = cacheRepoPath({ cacheDir: options.cacheDir, url: split.url });
  await ensureBareRepository(gitDir);
  return new RemoteSourceImpl({ ...options, url: split.url, credentials, gitDir });
}

type ResolvedOptions = RemoteSourceOptions & { url: string; credentials: Credentials | null; gitDir: string };

class RemoteSourceImpl implements RemoteSource {
  readonly description: string;
  readonly gitDir: string;
  private readonly ref: string;
  private readonly log: Logger;
  private readonly reader: CatFileReader;
  private readonly probe: RemoteProbe;
  private readonly secrets: string[];
  private readonly once = serial();
  private readonly stops = new Set<() => Promise<void>>();
  /** What the cache's branch ref holds (undefined: not read yet). */
  private cachedTip: string | null | undefined = undefined;
  /** The tip the caller last saw through fetchTip (undefined: never asked). */
  private lastTip: string | null | undefined = undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.gitDir = options.gitDir;
    this.ref = `refs/heads/${options.branch}`;
    this.description = `${redactUrl(options.url)} (branch ${options.branch})`;
    this.secrets = credentialSecrets(options.credentials);
    this.log = options.log.child({ component: "git", source: this.description });
    this.reader = createCatFileReader({ gitDir: this.gitDir, log: this.log });
    this.probe = createRemoteProbe({ url: options.url, credentials: options.credentials, log: this.log });
  }

  fetchTip(): Promise<string | null> {
    return this.once(async () => {
      const tip = await this.syncTip();
      this.lastTip = tip;
      return tip;
    });
  }

  /** Ask the server; fetch only if its tip is not what the cache already has. */
  private async syncTip(): Promise<string | null> {
    const remoteTip = await this.probe(this.options.branch);
    if (remoteTip === null) return null;
    this.cachedTip ??= await readRef({ gitDir: this.gitDir, ref: this.ref });
    if (remoteTip === this.cachedTip) return remoteTip;
    const started = performance.now();
    if (await this.hasCommit(remoteTip)) {
      await runGit({ gitDir: this.gitDir, args: ["update-ref", this.ref, remoteTip] });
    } else {
      await this.fetch();
    }
    this.cachedTip = await readRef({ gitDir: this.gitDir, ref: this.ref });
    this.log.debug({ tip: this.cachedTip, ms: Math.round(performance.now() - started) }, "fetched");
    return this.cachedTip;
  }

  private async hasCommit(oid: string): Promise<boolean> {
    const info = await this.reader.info([oid]);
    return info.get(oid)?.type === "commit";
  }

  private async fetch(): Promise<void> {
    const refspec = `+${this.ref}:${this.ref}`;
    try {
      await runGit({
        gitDir: this.gitDir,
        args: ["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", this.options.url, refspec],
        env: credentialEnv(this.options.credentials),
        secrets: this.secrets,
        timeoutMs: this.options.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
      });
    } catch (error) {
      throw toRemoteError(error, { operation: "fetch", url: this.options.url, secrets: this.secrets });
    }
  }

  diff(from: string | null, to: string): Promise<ChangedFile[]> {
    return diffCommits({ gitDir: this.gitDir, from, to });
  }

  readBlobs(oids: readonly string[], maxBytes: number): Promise<Map<string, BlobRead>> {
    return this.reader.readBlobs(oids, maxBytes);
  }

  watch(onChange: () => void): () => Promise<void> {
    const abort = new AbortController();
    const loop = this.pollLoop(onChange, abort.signal);
    const stop = async (): Promise<void> => {
      abort.abort();
      this.stops.delete(stop);
      await loop;
    };
    this.stops.add(stop);
    return stop;
  }

  private async pollLoop(onChange: () => void, signal: AbortSignal): Promise<void> {
    const sleep = this.options.sleep ?? realSleep;
    while (!signal.aborted) {
      try {
        await sleep(this.nextDelay(), signal);
      } catch {
        return; // aborted
      }
      if (signal.aborted) return;
      await this.pollOnce(onChange, signal);
    }
  }

  /** One poll: a single ref request; onChange only if the tip differs from what the caller saw. */
  private async pollOnce(onChange: () => void, signal: AbortSignal): Promise<void> {
    try {
      const tip = await this.probe(this.options.branch, signal);
      if (tip === this.lastTip || signal.aborted) return;
      this.log.debug({ tip }, "remote branch moved");
    } catch (error) {
      if (signal.aborted) return;
      // Let the caller's fetchTip surface the typed error (auth, network) the usual way.
      this.log.warn({ err: error instanceof Error ? error.message : String(error) }, "poll failed");
    }
    onChange();
  }

  private nextDelay(): number {
    const interval = this.options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    const jitter = Math.min(1, Math.max(0, this.options.jitter ?? DEFAULT_POLL_JITTER));
    const random = this.options.random ?? Math.random;
    return Math.max(0, interval * (1 + jitter * (2 * random() - 1)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.stops].map((stop) => stop()));
    await this.reader.close();
  }
}
