/**
 * The configuration repository over http(s), mirrored into a bare cache repository. A poll asks
 * the server for the branch tip in-process (one request); only when it differs from the cache
 * does `git fetch` run. Diffs and blob reads then work on the cache exactly like a local source.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import type { Logger } from "pino";
import { createCatFileReader, type CatFileReader } from "./cat-file-reader.js";
import { splitUrlCredentials, type Credentials } from "./credentials.js";
import { diffCommits } from "./diff-tree.js";
import { RemoteMirror } from "./remote-mirror.js";
import { assertBranchName, assertGitVersion, ensureBareRepository, serial } from "./repository.js";
import { realSleep, type Sleep } from "./sleep.js";
import { redactUrl } from "./scrub-secrets.js";
import type { BlobRead, ChangedFile, ConfigSource } from "./types.js";
import { failureMessage } from "../api/errors.js";

export const DEFAULT_POLL_INTERVAL_MS = 30_000;
export const DEFAULT_POLL_JITTER = 0.1;

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
  /** The first fetch may reuse one this recent (see RemoteMirrorOptions.reuseFetchMs). */
  reuseFetchMs?: number;
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

/** Open (creating if needed) the cache for `options.url`; nothing is fetched until `fetchTip`. */
export async function createRemoteSource(options: RemoteSourceOptions): Promise<RemoteSource> {
  assertBranchName(options.branch);
  await assertGitVersion();
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
  private readonly log: Logger;
  private readonly reader: CatFileReader;
  private readonly mirror: RemoteMirror;
  private readonly once = serial();
  private readonly stops = new Set<() => Promise<void>>();
  /** The tip the caller last saw through fetchTip (undefined: never asked). */
  private lastTip: string | null | undefined = undefined;

  constructor(private readonly options: ResolvedOptions) {
    this.gitDir = options.gitDir;
    this.description = `${redactUrl(options.url)} (branch ${options.branch})`;
    this.log = options.log.child({ component: "git", source: this.description });
    this.reader = createCatFileReader({ gitDir: this.gitDir, log: this.log });
    this.mirror = new RemoteMirror({
      gitDir: this.gitDir,
      url: options.url,
      credentials: options.credentials,
      branch: options.branch,
      log: this.log,
      reader: this.reader,
      ...(options.fetchTimeoutMs === undefined ? {} : { networkTimeoutMs: options.fetchTimeoutMs }),
      ...(options.reuseFetchMs === undefined ? {} : { reuseFetchMs: options.reuseFetchMs }),
    });
  }

  fetchTip(): Promise<string | null> {
    return this.once(async () => {
      const tip = await this.mirror.sync();
      this.lastTip = tip;
      return tip;
    });
  }

  /**
   * The cache's tip: no request once this process has fetched (the controller's pass) or pushed
   * (a write); the first call before either fetches. Leaves `lastTip` alone, so the poll still
   * tells the controller about a tip only a reader has seen.
   */
  localTip(): Promise<string | null> {
    if (this.mirror.known) return this.mirror.localTip();
    return this.once(() => this.mirror.localTip());
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
      const tip = await this.mirror.remoteTip(signal);
      if (tip === this.lastTip || signal.aborted) return;
      this.log.debug({ tip }, "remote branch moved");
    } catch (error) {
      if (signal.aborted) return;
      // Let the caller's fetchTip surface the typed error (auth, network) the usual way.
      this.log.warn({ err: failureMessage(error) }, "poll failed");
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
