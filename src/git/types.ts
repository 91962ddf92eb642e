/** What the rest of the controller needs from Git: a configuration source and a status store. */

/** A file that differs between two commits of the watched branch. */
export interface ChangedFile {
  path: string;
  status: "added" | "modified" | "deleted";
  /** Blob id after the change (null when deleted). */
  oid: string | null;
  /** Blob id before the change (null when added). */
  oldOid: string | null;
  /** Git mode after the change ("100644", "100755", "120000" symlink, "160000" submodule), or before it when deleted. */
  mode: string;
}

/** One blob as read; `data` is null when the blob is larger than the limit asked for. */
export interface BlobRead {
  oid: string;
  size: number;
  data: Buffer | null;
}

/** The configuration repository: a local path (watched) or a remote over http(s) (polled). */
export interface ConfigSource {
  /** Where the source is, safe to log (credentials removed). */
  readonly description: string;
  /** The tip of the watched branch, fetching first when remote; null if the branch does not exist. */
  fetchTip(): Promise<string | null>;
  /**
   * The tip as this process already knows it, without asking a remote: what the last fetch (the
   * controller's pass) or push (a write through this process) left in the local repository; for a
   * local path the branch itself. Only when nothing was fetched yet in this process does it fetch,
   * once. Never moves what `watch` compares against, so a reader never hides a change from the
   * controller. Absent: callers use `fetchTip()`.
   */
  localTip?(): Promise<string | null>;
  /** Every file that differs between `from` and `to`; `from` null lists every file of `to` as added. */
  diff(from: string | null, to: string): Promise<ChangedFile[]>;
  /** Read blobs by id; a blob larger than `maxBytes` comes back with `data: null` and its size. */
  readBlobs(oids: readonly string[], maxBytes: number): Promise<Map<string, BlobRead>>;
  /**
   * True when the branch exists but no commit of it may be taken in yet (commit verification holds
   * every one back), so a null `fetchTip()` is not a missing branch. Absent: never.
   */
  isHeldBack?(): boolean;
  /** Call `onChange` whenever the branch may have moved. Returns a function that stops watching. */
  watch(onChange: () => void): () => Promise<void>;
  /** Release processes and watchers. */
  close(): Promise<void>;
}

/** The status branch as last read: its tip and the blob id of every file on it. */
export interface StatusSnapshot {
  tip: string | null;
  /** Path -> blob id at `tip`; read-only (a store may hand out the list it keeps). */
  files: ReadonlyMap<string, string>;
}

/** Resolves a conflict when the status branch moved under us: `theirs` is the file at the new tip. */
export type MergeFn = (path: string, theirs: Buffer | null, ours: Buffer | null) => Buffer | null;

/** What to commit to the status branch. `null` content deletes the path. */
export interface StatusCommitInput {
  changes: ReadonlyMap<string, Buffer | null>;
  /** Builds the commit message from the changes that are really committed (after merges). */
  message: (changes: ReadonlyMap<string, Buffer | null>) => string;
  /** Commit time (committer and author). */
  now: Date;
  /** Called for each changed path whose file moved on the branch since `load()`; default: ours wins. */
  merge?: MergeFn;
}

/** A status commit that was made and published. */
export interface StatusCommitResult {
  commit: string;
  /** How many times the branch had moved and the commit was rebuilt. */
  retries: number;
  changes: ReadonlyMap<string, Buffer | null>;
}

/** The status branch (`cfs-status`): an orphan branch only the controller writes. */
export interface StatusStore {
  /** Read the branch tip and its file list (fetching first when remote). */
  load(): Promise<StatusSnapshot>;
  /** Only the branch tip (fetching first when remote): what a reader checks before using what it loaded. */
  tip?(): Promise<string | null>;
  /**
   * The branch as this process already knows it, without asking a remote: what the last fetch or
   * push (by any status store or writer on the same repository) left in the local repository;
   * only when none happened yet in this store does it fetch, once. Absent: callers use `load()`.
   */
  loadLocal?(): Promise<StatusSnapshot>;
  /** Only the tip, as `loadLocal()` sees it. */
  localTip?(): Promise<string | null>;
  /**
   * The branch tip (fetching first when remote) without listing the branch's files, for readers
   * that read a few paths (`git ls-tree TIP -- paths`) or keep their own cache. Absent: use load().
   */
  headTip?(): Promise<string | null>;
  /** Read blobs of the status branch by id. */
  readBlobs(oids: readonly string[]): Promise<Map<string, Buffer>>;
  /**
   * The paths of the files under these folders (each ends in "/"), as this store last read or wrote
   * the branch (a remote is not asked): a session's logs, when its record goes, without a caller
   * keeping the whole file list (at 100,000 sessions, 200,000 of its 321,000 paths are logs).
   */
  pathsUnder(prefixes: readonly string[]): Promise<string[]>;
  /**
   * Commit `changes` on top of the tip, never an empty commit (returns null when nothing would change).
   * A rejected update (the branch moved) is retried at once on the new tip with jittered backoff.
   */
  commit(input: StatusCommitInput): Promise<StatusCommitResult | null>;
  close(): Promise<void>;
}
