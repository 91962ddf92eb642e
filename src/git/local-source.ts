/**
 * The configuration repository as a local path (work tree or bare), read in place: the tip and
 * the blobs come from one long-lived cat-file, diffs are diff-tree, and changes are noticed by
 * watching the branch's ref file and packed-refs.
 */
import { join, sep } from "node:path";
import type { FSWatcher } from "chokidar";
import type { Logger } from "pino";
import { createCatFileReader, type CatFileReader } from "./cat-file-reader.js";
import { diffCommits } from "./diff-tree.js";
import { assertBranchName, assertGitVersion, resolveGitDir } from "./repository.js";
import type { BlobRead, ChangedFile, ConfigSource } from "./types.js";

/** Quiet time after the last ref event before `onChange` runs (a commit touches several files). */
const DEFAULT_DEBOUNCE_MS = 50;

/** Options of `createLocalSource`. */
export interface LocalSourceOptions {
  /** The repository: a work tree, a linked work tree, or a bare repository. */
  path: string;
  branch: string;
  log: Logger;
  debounceMs?: number;
}

/** A ConfigSource over a local repository; `gitDir` is where its refs and objects live. */
export interface LocalSource extends ConfigSource {
  readonly gitDir: string;
  /**
   * Its `cat-file` reader (closed with the source): a one-shot command's status store reads
   * through it too, one process for both branches (see openRepository).
   */
  readonly reader: CatFileReader;
}

/** Open the repository at `options.path` (fails with GitCommandError if it is not one). */
export async function createLocalSource(options: LocalSourceOptions): Promise<LocalSource> {
  assertBranchName(options.branch);
  // Two git processes at once; a git too old is the error to report when both fail.
  const [version, gitDir] = await Promise.allSettled([assertGitVersion(), resolveGitDir(options.path)]);
  if (version.status === "rejected") throw version.reason;
  if (gitDir.status === "rejected") throw gitDir.reason;
  return new LocalSourceImpl({ ...options, gitDir: gitDir.value });
}

class LocalSourceImpl implements LocalSource {
  readonly description: string;
  readonly gitDir: string;
  private readonly ref: string;
  private readonly log: Logger;
  readonly reader: CatFileReader;
  private readonly stops = new Set<() => Promise<void>>();
  /** The tip the caller last saw through fetchTip (undefined: never asked). */
  private lastTip: string | null | undefined = undefined;

  constructor(private readonly options: LocalSourceOptions & { gitDir: string }) {
    this.gitDir = options.gitDir;
    this.ref = `refs/heads/${options.branch}`;
    this.description = `${options.path} (branch ${options.branch})`;
    this.log = options.log.child({ component: "git", source: this.description });
    this.reader = createCatFileReader({ gitDir: this.gitDir, log: this.log });
  }

  async fetchTip(): Promise<string | null> {
    const tip = await this.reader.resolveCommit(this.ref);
    this.lastTip = tip;
    return tip;
  }

  /** The branch tip as it is now (nothing to fetch); leaves what `watch` compares against alone. */
  localTip(): Promise<string | null> {
    return this.reader.resolveCommit(this.ref);
  }

  diff(from: string | null, to: string): Promise<ChangedFile[]> {
    return diffCommits({ gitDir: this.gitDir, from, to });
  }

  readBlobs(oids: readonly string[], maxBytes: number): Promise<Map<string, BlobRead>> {
    return this.reader.readBlobs(oids, maxBytes);
  }

  watch(onChange: () => void): () => Promise<void> {
    let timer: NodeJS.Timeout | null = null;
    let stopped = false;
    const check = (): void => {
      timer = null;
      if (!stopped) void this.notifyIfMoved(onChange);
    };
    const schedule = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(check, this.options.debounceMs ?? DEFAULT_DEBOUNCE_MS);
    };
    // chokidar is loaded by the first watch, not with this module: the CLI's read commands open
    // the repository without watching it.
    const watching = this.startWatcher(schedule);
    const stop = async (): Promise<void> => {
      stopped = true;
      if (timer) clearTimeout(timer);
      this.stops.delete(stop);
      await (await watching)?.close();
    };
    this.stops.add(stop);
    return stop;
  }

  /** Watches the ref files; `schedule` runs on a change and once when ready (null if it cannot). */
  private async startWatcher(schedule: () => void): Promise<FSWatcher | null> {
    const refFile = join(this.gitDir, this.ref);
    const packedRefs = join(this.gitDir, "packed-refs");
    try {
      const { watch: watchFiles } = await import("chokidar");
      const watcher = watchFiles([join(this.gitDir, "refs", "heads"), packedRefs], { ignoreInitial: true });
      // A branch whose name has a slash (feature/x) created after watching started first appears as
      // a new folder: its ref file may be written before the watcher watches that folder (and then
      // never reported), so a new folder on the way to the ref is a reason to look too.
      watcher.on("all", (_event, path) => {
        if (path === refFile || path === packedRefs || refFile.startsWith(`${path}${sep}`)) schedule();
      });
      // A commit between watch() and the watcher being ready would go unseen: look once when ready.
      watcher.on("ready", schedule);
      watcher.on("error", (error) => this.log.warn({ err: String(error) }, "ref watcher error"));
      return watcher;
    } catch (error) {
      this.log.warn({ err: String(error) }, "could not watch the branch's refs");
      schedule();
      return null;
    }
  }

  /** Call onChange if the tip differs from what the caller last saw (or if we cannot tell). */
  private async notifyIfMoved(onChange: () => void): Promise<void> {
    try {
      const tip = await this.reader.resolveCommit(this.ref);
      if (tip === this.lastTip) return;
      this.log.debug({ tip }, "branch moved");
    } catch (error) {
      this.log.warn({ err: String(error) }, "could not read the branch tip after a ref change");
    }
    onChange();
  }

  async close(): Promise<void> {
    await Promise.all([...this.stops].map((stop) => stop()));
    await this.reader.close();
  }
}
