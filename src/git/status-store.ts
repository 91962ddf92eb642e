/**
 * The status branch, written without a work tree: `load()` keeps the branch's file list in memory
 * (re-read by diff when the branch moved, in full only the first time), `commit()` feeds only the
 * changed paths to one `git fast-import` and publishes with a compare-and-swap (`update-ref
 * <new> <old>` locally, `push --force-with-lease` remotely). When the branch moved under us the
 * commit is rebuilt on the new tip, with the caller's merge for paths both sides changed.
 */
import type { Logger } from "pino";
import { createCatFileReader, type CatFileReader } from "./cat-file-reader.js";
import { commitGraphOf, type CommitGraph } from "./commit-graph.js";
import { splitUrlCredentials, type Credentials } from "./credentials.js";
import { diffCommits, eachTreeEntry } from "./diff-tree.js";
import { REGULAR_FILE_MODE, planDirectoryTrees, type DirectoryTree } from "./directory-trees.js";
import { GitCommandError, PushRejectedError } from "./errors.js";
import { STATUS_IDENTITY, hashBlob, isValidStatusPath } from "./fast-import.js";
import { importCommit } from "./import-commit.js";
import { RemoteMirror } from "./remote-mirror.js";
import {
  assertBranchName,
  compareAndSwapRef,
  assertGitVersion,
  ensureBareRepository,
  repositoryInfo,
  serial,
} from "./repository.js";
import { runGit } from "./run-git.js";
import { signCommit, type CommitSigning } from "./sign-commit.js";
import { realSleep, type Sleep } from "./sleep.js";
import type { MergeFn, StatusCommitInput, StatusCommitResult, StatusSnapshot, StatusStore } from "./types.js";
import { failureMessage } from "../api/errors.js";

export const DEFAULT_MAX_RETRIES = 8;
const BACKOFF_BASE_MS = 50;
const BACKOFF_MAX_MS = 2_000;
/** Run `git gc --auto` after this many commits (fast-import leaves small loose objects). */
const GC_EVERY_COMMITS = 100;
const SCRATCH_REF = "refs/cfs-gitops/scratch";
/**
 * glibc trims the heap after nearly every blob fast-import frees (40,000 brk calls for 10,000
 * files, two thirds of its time); a 4 MiB top pad stops that (1.2 s -> 0.4 s). Ignored elsewhere.
 */
const FAST_IMPORT_MALLOC = "glibc.malloc.top_pad=4194304";

/** Where the status branch is published when it lives on a remote. */
export interface StatusRemote {
  url: string;
  credentials?: Credentials | null;
  /** The first load may reuse a fetch this recent (see RemoteMirrorOptions.reuseFetchMs). */
  reuseFetchMs?: number;
}

/** What `beforePublish` is told: the commit about to be published and the tip it replaces. */
export interface PublishAttempt {
  attempt: number;
  commit: string;
  parent: string | null;
}

/**
 * The paths under any of `folders` (each ending in "/"), found by each path's own folders: one walk
 * of the list, however many folders (a pass that removes 1,000 sessions asks for 1,000).
 */
function filesUnder(paths: Iterable<string>, folders: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const path of paths) {
    for (let slash = path.indexOf("/"); slash >= 0; slash = path.indexOf("/", slash + 1)) {
      if (!folders.has(path.slice(0, slash + 1))) continue;
      out.push(path);
      break;
    }
  }
  return out;
}

/** Options of `createStatusStore`. */
export interface StatusStoreOptions {
  /**
   * Local: the repository holding the branch (work tree or git dir). Remote: a bare cache
   * repository (created if missing; may be the remote source's `gitDir`).
   */
  gitDir: string;
  branch: string;
  remote?: StatusRemote;
  log: Logger;
  sleep?: Sleep;
  random?: () => number;
  maxRetries?: number;
  /** Test hook: runs after a commit is built and before it is published. */
  beforePublish?: (attempt: PublishAttempt) => Promise<void> | void;
  /** Sign every status commit (`--signing-key`); null or absent: unsigned. */
  signing?: CommitSigning | null;
  /**
   * Read through this reader of the same repository instead of a process of its own (a one-shot
   * command: one `cat-file` for both branches); whoever made it closes it.
   */
  reader?: CatFileReader;
  /**
   * Changed files in one directory from which its tree is built here rather than by fast-import
   * (default MIN_CHANGES_FOR_TREE; `Infinity`: never). The commit is the same either way.
   */
  treeMinChanges?: number;
  /**
   * The cadence of the commit-graph kept in `gitDir` for `git log -- <record>` (see commit-graph.ts):
   * a background write after this many status commits (default COMMIT_GRAPH_EVERY_COMMITS).
   */
  commitGraphEvery?: number;
}

/** Open the status store (nothing is read until `load()` or `commit()`). */
export async function createStatusStore(options: StatusStoreOptions): Promise<StatusStore> {
  assertBranchName(options.branch);
  await assertGitVersion();
  if (options.remote) await ensureBareRepository(options.gitDir);
  const { gitDir, format } = await repositoryInfo(options.gitDir);
  return new GitStatusStore({ ...options, gitDir, format });
}

/**
 * The snapshot this store builds on. `files` is handed to callers as it is (read-only): once handed
 * out (`shared`), the next commit copies it before changing it, so what a caller holds stays the
 * branch at the tip it was loaded at. (A copy per load was 321,000 entries at 100,000 sessions.)
 */
interface Snapshot {
  tip: string | null;
  files: Map<string, string>;
  shared: boolean;
  /** Paths of `files` whose mode is not 100644 (someone else wrote them): never in a tree built here. */
  special: Set<string>;
}

/** Changes resolved against a snapshot: only what really differs, with the new blob ids. */
interface Resolved {
  changes: Map<string, Buffer | null>;
  oids: Map<string, string | null>;
}

type ResolvedOptions = StatusStoreOptions & { gitDir: string; format: "sha1" | "sha256" };

class GitStatusStore implements StatusStore {
  private readonly ref: string;
  private readonly log: Logger;
  private readonly reader: CatFileReader;
  private readonly once = serial();
  private readonly publisher: Publisher;
  private snapshot: Snapshot | null = null;
  private commits = 0;
  private readonly graph: CommitGraph;

  constructor(private readonly options: ResolvedOptions) {
    this.ref = `refs/heads/${options.branch}`;
    this.log = options.log.child({ component: "git", statusBranch: options.branch });
    this.reader = options.reader ?? createCatFileReader({ gitDir: options.gitDir, log: this.log });
    this.graph = commitGraphOf({
      gitDir: options.gitDir,
      log: this.log,
      ...(options.commitGraphEvery === undefined ? {} : { everyCommits: options.commitGraphEvery }),
    });
    this.publisher = options.remote
      ? new RemotePublisher(
          remoteMirror({ ...options, remote: options.remote, log: this.log, reader: this.reader }),
        )
      : new LocalPublisher({ gitDir: options.gitDir, ref: this.ref, reader: this.reader });
  }

  load(): Promise<StatusSnapshot> {
    return this.once(async () => {
      const snapshot = await this.refresh();
      snapshot.shared = true;
      return { tip: snapshot.tip, files: snapshot.files };
    });
  }

  tip(): Promise<string | null> {
    return this.once(async () => (await this.refresh()).tip);
  }

  loadLocal(): Promise<StatusSnapshot> {
    return this.once(async () => {
      const snapshot = await this.refresh("local");
      snapshot.shared = true;
      return { tip: snapshot.tip, files: snapshot.files };
    });
  }

  localTip(): Promise<string | null> {
    return this.once(async () => (await this.refresh("local")).tip);
  }

  headTip(): Promise<string | null> {
    return this.once(() => this.publisher.currentTip());
  }

  async readBlobs(oids: readonly string[]): Promise<Map<string, Buffer>> {
    const out = new Map<string, Buffer>();
    for (const [oid, blob] of await this.reader.readBlobs(oids)) if (blob.data) out.set(oid, blob.data);
    return out;
  }

  pathsUnder(prefixes: readonly string[]): Promise<string[]> {
    return this.once(async () => {
      if (prefixes.length === 0) return [];
      const snapshot = this.snapshot ?? (await this.refresh());
      return filesUnder(snapshot.files.keys(), new Set(prefixes));
    });
  }

  commit(input: StatusCommitInput): Promise<StatusCommitResult | null> {
    for (const path of input.changes.keys()) {
      if (!isValidStatusPath(path)) {
        return Promise.reject(new GitCommandError(`invalid status path ${JSON.stringify(path)}`, { path }));
      }
    }
    return this.once(() => this.commitWithRetries(input));
  }

  async close(): Promise<void> {
    if (!this.options.reader) await this.once(() => this.reader.close());
    await this.graph.flush();
  }

  /**
   * Bring the snapshot to the branch tip (`local`: as the local repository has it, see
   * `loadLocal`): nothing if it did not move, a diff if it did.
   */
  private async refresh(from: "remote" | "local" = "remote"): Promise<Snapshot> {
    const tip = await (from === "local" ? this.publisher.localTip() : this.publisher.currentTip());
    const previous = this.snapshot;
    if (previous && previous.tip === tip) return previous;
    if (tip === null) this.snapshot = { tip, files: new Map(), special: new Set(), shared: false };
    else if (previous?.tip) this.snapshot = await this.applyDiff(previous, tip);
    else this.snapshot = await this.listAll(tip);
    return this.snapshot;
  }

  private async listAll(tip: string): Promise<Snapshot> {
    const files = new Map<string, string>();
    const special = new Set<string>();
    await eachTreeEntry({ gitDir: this.options.gitDir, commit: tip }, (mode, oid, path) => {
      files.set(path, oid);
      if (mode !== REGULAR_FILE_MODE) special.add(path);
    });
    return { tip, files, special, shared: false };
  }

  private async applyDiff(previous: Snapshot, tip: string): Promise<Snapshot> {
    const files = new Map(previous.files);
    const special = new Set(previous.special);
    for (const change of await diffCommits({ gitDir: this.options.gitDir, from: previous.tip, to: tip })) {
      if (change.oid === null) files.delete(change.path);
      else files.set(change.path, change.oid);
      if (change.oid !== null && change.mode !== REGULAR_FILE_MODE) special.add(change.path);
      else special.delete(change.path);
    }
    return { tip, files, special, shared: false };
  }

  private async commitWithRetries(input: StatusCommitInput): Promise<StatusCommitResult | null> {
    const maxRetries = this.options.maxRetries ?? DEFAULT_MAX_RETRIES;
    let base = this.snapshot ?? (await this.refresh());
    let wanted = new Map(input.changes);
    for (let retries = 0; ; retries++) {
      const resolved = this.resolveChanges(base, wanted);
      if (resolved.changes.size === 0) return null;
      const commit = await this.build(base, resolved, input);
      await this.options.beforePublish?.({ attempt: retries, commit, parent: base.tip });
      if (await this.publisher.publish({ commit, old: base.tip })) {
        this.advance(base, commit, resolved);
        this.graph.noteCommits(1);
        await this.maybeGc();
        return { commit, retries, changes: resolved.changes };
      }
      if (retries >= maxRetries) {
        throw new PushRejectedError(
          `status branch ${this.options.branch} kept moving: gave up after ${retries} retries`,
          {
            branch: this.options.branch,
            retries,
          },
        );
      }
      this.log.info({ retry: retries + 1 }, "status branch moved; rebuilding on the new tip");
      await this.backoff(retries);
      const next = await this.refresh();
      wanted = await this.mergeMoved({ before: base, after: next, wanted, merge: input.merge ?? oursWins });
      base = next;
    }
  }

  /** Keep only changes that differ from `base` (same blob id or deleting an absent path: dropped). */
  private resolveChanges(base: Snapshot, wanted: ReadonlyMap<string, Buffer | null>): Resolved {
    const changes = new Map<string, Buffer | null>();
    const oids = new Map<string, string | null>();
    for (const [path, content] of wanted) {
      const current = base.files.get(path);
      const oid = content === null ? null : hashBlob(content, this.options.format);
      if (oid === (current ?? null)) continue;
      changes.set(path, content);
      oids.set(path, oid);
    }
    return { changes, oids };
  }

  /**
   * Build the commit object with fast-import (no work tree, no index); returns its id. Directories
   * with many changes get their tree written first (see directory-trees.ts): same commit, less work.
   */
  private async build(base: Snapshot, resolved: Resolved, input: StatusCommitInput): Promise<string> {
    const message = input.message(resolved.changes);
    const { gitDir, signing, format, treeMinChanges } = this.options;
    const plan = planDirectoryTrees({ ...base, ...resolved, format, minChanges: treeMinChanges });
    await writeTrees({ gitDir, trees: plan.trees });
    const unsigned = await importCommit({
      gitDir,
      commit: {
        ref: SCRATCH_REF,
        parent: base.tip,
        message,
        when: input.now,
        changes: plan.rest,
        blobs: plan.blobs,
        trees: plan.trees.map((t) => [t.path, t.oid] as const),
      },
      env: { GLIBC_TUNABLES: [process.env["GLIBC_TUNABLES"], FAST_IMPORT_MALLOC].filter(Boolean).join(":") },
    });
    if (!signing) return unsigned;
    const identity = STATUS_IDENTITY;
    return signCommit({ gitDir, unsigned, parent: base.tip, message, identity, when: input.now, signing });
  }

  /** After a publish: the snapshot is the new commit, updated in place from the known blob ids. */
  private advance(base: Snapshot, commit: string, resolved: Resolved): void {
    if (base.shared) {
      base.files = new Map(base.files);
      base.shared = false;
    }
    for (const [path, oid] of resolved.oids) {
      if (oid === null) base.files.delete(path);
      else base.files.set(path, oid);
      base.special.delete(path);
    }
    base.tip = commit;
    this.snapshot = base;
  }

  /** For every wanted path whose blob moved between `before` and `after`, ask the merge function. */
  private async mergeMoved(input: {
    before: Snapshot;
    after: Snapshot;
    wanted: Map<string, Buffer | null>;
    merge: MergeFn;
  }): Promise<Map<string, Buffer | null>> {
    const { before, after, wanted, merge } = input;
    const moved = [...wanted.keys()].filter((path) => before.files.get(path) !== after.files.get(path));
    if (moved.length === 0) return wanted;
    const theirOids = moved
      .map((path) => after.files.get(path))
      .filter((oid): oid is string => oid !== undefined);
    const blobs = await this.reader.readBlobs(theirOids);
    const merged = new Map(wanted);
    for (const path of moved) {
      const oid = after.files.get(path);
      const theirs = oid === undefined ? null : (blobs.get(oid)?.data ?? null);
      merged.set(path, merge(path, theirs, wanted.get(path) ?? null));
    }
    return merged;
  }

  private async backoff(retries: number): Promise<void> {
    const random = this.options.random ?? Math.random;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** retries);
    await (this.options.sleep ?? realSleep)(Math.round(random() * ceiling));
  }

  private async maybeGc(): Promise<void> {
    this.commits += 1;
    if (this.commits % GC_EVERY_COMMITS !== 0) return;
    try {
      // The commit-graph is CommitGraph's alone (its background writes and gc's would race for its lock).
      await runGit({
        gitDir: this.options.gitDir,
        args: ["-c", "gc.writeCommitGraph=false", "gc", "--auto", "--quiet"],
      });
    } catch (error) {
      this.log.warn({ err: failureMessage(error) }, "git gc --auto failed");
    }
  }
}

function remoteMirror(
  input: ResolvedOptions & { remote: StatusRemote; reader: CatFileReader },
): RemoteMirror {
  const split = splitUrlCredentials(input.remote.url);
  return new RemoteMirror({
    gitDir: input.gitDir,
    url: split.url,
    credentials: input.remote.credentials ?? split.credentials,
    branch: input.branch,
    log: input.log,
    reader: input.reader,
    ...(input.remote.reuseFetchMs === undefined ? {} : { reuseFetchMs: input.remote.reuseFetchMs }),
  });
}

/** Store each tree object (`git hash-object -w -t tree`), checking git gives it the id computed here. */
async function writeTrees(input: { gitDir: string; trees: readonly DirectoryTree[] }): Promise<void> {
  for (const tree of input.trees) {
    const { stdout } = await runGit({
      gitDir: input.gitDir,
      args: ["hash-object", "-w", "-t", "tree", "--stdin"],
      stdin: tree.content,
    });
    const oid = stdout.toString("utf8").trim();
    if (oid !== tree.oid) {
      throw new GitCommandError(`git stored the tree of ${tree.path} as ${oid}, expected ${tree.oid}`, {
        path: tree.path,
      });
    }
  }
}

/** Default merge: our content wins. */
const oursWins: MergeFn = (_path, _theirs, ours) => ours;

/** Where the branch tip is read from and how a commit is published to it. */
interface Publisher {
  currentTip(): Promise<string | null>;
  /** The tip without asking a remote (see StatusStore.loadLocal). */
  localTip(): Promise<string | null>;
  /** Compare-and-swap `old` -> `commit`; false if the branch was no longer at `old`. */
  publish(input: { commit: string; old: string | null }): Promise<boolean>;
}

/**
 * A branch in the repository itself: its tip asked of the store's long-lived `cat-file` (no process
 * started per look), published with `update-ref <new> <old>`.
 */
class LocalPublisher implements Publisher {
  constructor(private readonly options: { gitDir: string; ref: string; reader: CatFileReader }) {}

  currentTip(): Promise<string | null> {
    return this.options.reader.resolveCommit(this.options.ref);
  }

  localTip(): Promise<string | null> {
    return this.currentTip();
  }

  async publish(input: { commit: string; old: string | null }): Promise<boolean> {
    const { gitDir, ref } = this.options;
    return compareAndSwapRef({
      gitDir,
      ref,
      commit: input.commit,
      old: input.old,
      reason: "cfs-gitops: status",
    });
  }
}

/** A branch on a remote, mirrored in the cache: fetch to read, `push --force-with-lease` to publish. */
class RemotePublisher implements Publisher {
  constructor(private readonly mirror: RemoteMirror) {}

  currentTip(): Promise<string | null> {
    return this.mirror.sync();
  }

  localTip(): Promise<string | null> {
    return this.mirror.localTip();
  }

  publish(input: { commit: string; old: string | null }): Promise<boolean> {
    return this.mirror.push(input);
  }
}
