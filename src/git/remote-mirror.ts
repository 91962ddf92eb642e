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
  private readonly probe: RemoteProbe;
  private readonly secrets: string[];
  /** What the cache's ref holds (undefined: not read yet). */
  private localTip: string | null | undefined = undefined;
  /** Whether sync() ran in this process (only the first may reuse a recent fetch). */
  private synced = false;

  constructor(private readonly options: RemoteMirrorOptions) {
    this.ref = `refs/heads/${options.branch}`;
    this.secrets = credentialSecrets(options.credentials);
    this.probe = createRemoteProbe({ url: options.url, credentials: options.credentials, log: options.log });
  }

  /** The tip on the server (one request), or null when the branch does not exist there. */
  remoteTip(signal?: AbortSignal): Promise<string | null> {
    return this.probe(this.options.branch, signal);
  }

  /** Make the cache hold the server's tip and return it (null: no such branch on the server). */
  async sync(): Promise<string | null> {
    const reused = await this.reuseRecentFetch();
    if (reused !== null) return reused;
    const tip = await this.remoteTip();
    if (tip === null) return null;
    this.localTip ??= await readRef({ gitDir: this.options.gitDir, ref: this.ref });
    if (tip === this.localTip) {
      await this.stamp();
      return tip;
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
    this.localTip = await readRef({ gitDir: this.options.gitDir, ref: this.ref });
    await this.stamp();
    this.options.log.debug({ tip: this.localTip, ms: Math.round(performance.now() - started) }, "fetched");
    return this.localTip;
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
    await runGit({ gitDir: this.options.gitDir, args: ["update-ref", this.ref, input.commit] });
    this.localTip = input.commit;
    await this.stamp();
    return true;
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
    this.localTip = await readRef({ gitDir: this.options.gitDir, ref: this.ref });
    if (this.localTip !== null) this.options.log.debug({ tip: this.localTip }, "reusing a recent fetch");
    return this.localTip;
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
