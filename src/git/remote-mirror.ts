/**
 * One branch of a remote, mirrored at the same ref name in a local bare cache repository.
 * `sync()` asks the server for the tip (one request) and fetches only when the cache does not
 * have it; `push()` is a compare-and-swap. Credentials reach git only through the environment.
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { CatFileReader } from "./cat-file-reader.js";
import { credentialEnv, credentialSecrets, type Credentials } from "./credentials.js";
import { GitAuthError } from "./errors.js";
import { toRemoteError } from "./remote-errors.js";
import { createRemoteProbe, type RemoteProbe } from "./remote-probe.js";
import { readRef } from "./repository.js";
import { runGit } from "./run-git.js";

const DEFAULT_NETWORK_TIMEOUT_MS = 10 * 60_000;

/**
 * The cache refs (`gitDir` and ref) a mirror in this process synced or pushed: their local tip is
 * what the process knows of the branch (the controller's store and the API's each keep a mirror of
 * the same ref). A cache left by an earlier run is not in it, so its first read syncs.
 */
const KNOWN_REFS = new Set<string>();

/** Options of `RemoteMirror`. */
export interface RemoteMirrorOptions {
  /** The bare cache repository. */
  gitDir: string;
  /** Remote URL without credentials. */
  url: string;
  credentials: Credentials | null;
  branch: string;
  log: Logger;
  /** Reader on `gitDir`, to see whether a commit is already there. */
  reader: CatFileReader;
  networkTimeoutMs?: number;
  /**
   * A command's first sync may reuse what any process fetched this long ago or less (a stamp file
   * in the cache records when): back-to-back commands cost no request. 0 or absent: always ask.
   */
  reuseFetchMs?: number;
}

/** See the module comment. */
export class RemoteMirror {
  readonly ref: string;
  private readonly key: string;
  private readonly probe: RemoteProbe;
  private readonly secrets: string[];
  /** Whether sync() ran in this process (only the first may reuse a recent fetch). */
  private synced = false;

  constructor(private readonly options: RemoteMirrorOptions) {
    this.ref = `refs/heads/${options.branch}`;
    this.key = `${options.gitDir}\0${this.ref}`;
    this.secrets = credentialSecrets(options.credentials);
    this.probe = createRemoteProbe({ url: options.url, credentials: options.credentials, log: options.log });
  }

  /** True once a sync or a push succeeded in this process: `localTip()` then asks nothing of the server. */
  get known(): boolean {
    return KNOWN_REFS.has(this.key);
  }

  /** The tip on the server (one request), or null when the branch does not exist there. */
  remoteTip(signal?: AbortSignal): Promise<string | null> {
    return this.probe(this.options.branch, signal);
  }

  /**
   * The cache's tip of the branch without asking the server: what the last sync or push left there
   * (this mirror's or another's on the same cache). Before this mirror has synced or pushed once in
   * this process, a sync (the cache may be left from an earlier run).
   */
  async localTip(): Promise<string | null> {
    if (!this.known) return this.sync();
    return this.options.reader.resolveCommit(this.ref);
  }

  /** Make the cache hold the server's tip and return it (null: no such branch on the server). */
  async sync(): Promise<string | null> {
    const reused = await this.reuseRecentFetch();
    if (reused !== null) return reused;
    const tip = await this.remoteTip();
    // Read each time: another mirror of this cache (a writer's push) may have moved the ref.
    const local = await this.options.reader.resolveCommit(this.ref);
    if (tip === local) {
      this.remember();
      await this.stamp();
      return tip;
    }
    if (tip === null) {
      // Gone from the server: the cache follows, so nothing reads a branch that is no more.
      // A failed compare (exit 128) means a push moved it meanwhile: then the branch is back.
      if (local !== null)
        await runGit({
          gitDir: this.options.gitDir,
          args: ["update-ref", "-d", this.ref, local],
          okExitCodes: [128],
        });
      this.remember();
      return null;
    }
    const started = performance.now();
    const info = await this.options.reader.info([tip]);
    if (info.get(tip)?.type === "commit") {
      await runGit({ gitDir: this.options.gitDir, args: ["update-ref", this.ref, tip] });
    } else {
      const refspec = `+${this.ref}:${this.ref}`;
      await this.network("fetch", [
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--",
        this.options.url,
        refspec,
      ]);
    }
    const fetched = await readRef({ gitDir: this.options.gitDir, ref: this.ref });
    this.remember();
    await this.stamp();
    this.options.log.debug({ tip: fetched, ms: Math.round(performance.now() - started) }, "fetched");
    return fetched;
  }

  /**
   * Publish `commit` if the server's branch is still at `old` (null: must not exist).
   * False when it moved; GitAuthError / GitFetchError when the push failed for another reason.
   */
  async push(input: { commit: string; old: string | null }): Promise<boolean> {
    const lease = `--force-with-lease=${this.ref}:${input.old ?? ""}`;
    try {
      await this.network("push", [
        "push",
        "--quiet",
        "--no-verify",
        lease,
        "--",
        this.options.url,
        `${input.commit}:${this.ref}`,
      ]);
    } catch (error) {
      if (error instanceof GitAuthError) throw error;
      // Not matched by message: ask the server where the branch is now.
      if ((await this.remoteTip()) !== input.old) return false;
      throw error;
    }
    // The cache's ref moves with the push: a read right after it sees what was just written.
    await runGit({ gitDir: this.options.gitDir, args: ["update-ref", this.ref, input.commit] });
    this.remember();
    await this.stamp();
    return true;
  }

  /** Notes that the cache's ref is as recent as this process knows the branch. */
  private remember(): void {
    KNOWN_REFS.add(this.key);
  }

  /** Where the last successful sync or push of this branch is stamped. */
  private stampPath(): string {
    return join(this.options.gitDir, "cfs-gitops-synced", this.options.branch.replace(/\//g, "%2F"));
  }

  /** The local tip, when this is the first sync and the last one was recent enough; else null. */
  private async reuseRecentFetch(): Promise<string | null> {
    const reuseMs = this.options.reuseFetchMs ?? 0;
    const first = !this.synced;
    this.synced = true;
    if (!first || reuseMs <= 0) return null;
    const stamped = await stat(this.stampPath()).catch(() => null);
    if (stamped === null || Date.now() - stamped.mtimeMs > reuseMs) return null;
    const local = await readRef({ gitDir: this.options.gitDir, ref: this.ref });
    if (local !== null) {
      this.remember();
      this.options.log.debug({ tip: local }, "reusing a recent fetch");
    }
    return local;
  }

  private async stamp(): Promise<void> {
    if ((this.options.reuseFetchMs ?? 0) <= 0) return;
    await mkdir(join(this.options.gitDir, "cfs-gitops-synced"), { recursive: true });
    await writeFile(this.stampPath(), "");
  }

  private async network(operation: string, args: string[]): Promise<void> {
    try {
      await runGit({
        gitDir: this.options.gitDir,
        args,
        env: credentialEnv(this.options.credentials, this.options.url),
        secrets: this.secrets,
        timeoutMs: this.options.networkTimeoutMs ?? DEFAULT_NETWORK_TIMEOUT_MS,
      });
    } catch (error) {
      throw toRemoteError(error, { operation, url: this.options.url, secrets: this.secrets });
    }
  }
}
