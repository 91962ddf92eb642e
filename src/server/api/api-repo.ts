/**
 * The configuration repository as the REST API sees it. Reads answer from what this process already
 * knows of the two branches, through the CLI's readers (the watched branch's manifests are parsed
 * once per tip commit): the tips the controller's last pass fetched plus what the API pushed, never
 * a request to a remote per GET (only the first, before anything was fetched). A create answered
 * 201 is in the next GET; a commit someone else pushes is in it once the controller's next pass
 * (poll or webhook) fetched it. With `--verify-commits` a read never sees an unverified commit.
 * Writes go through the CLI's write path (same checks, same commits) one at a time, so parallel
 * callers never race each other for the branch; session creates that wait together share a
 * commit (see WriteQueue and batched), each still answered on its own.
 */
import type { Logger } from "pino";
import type { SessionRecord } from "../../api/index.js";
import type { RepoConfig } from "../../cli/config.js";
import type { CliIo } from "../../cli/io.js";
import { readManifestTree, type ManifestTree } from "../../cli/repo-tree.js";
import type { LoadedSessions } from "../../cli/session-source.js";
import { sessionViews } from "../../cli/session-view.js";
import { StatusReader } from "../../cli/status-reader.js";
import type { WriteContext } from "../../cli/write-change.js";
import { createBranchWriter, type BranchWriter } from "../../git/branch-writer.js";
import { createStatusStore } from "../../git/status-store.js";
import type { ConfigSource, StatusStore } from "../../git/types.js";
import type { ApiReply } from "./api-router.js";
import type { ApiCaller } from "./api-tokens.js";
import { SessionRecordCache } from "./session-record-cache.js";
import { WriteQueue, type Settled } from "./write-queue.js";

/** Options of ApiRepo.open. */
export interface ApiRepoOptions {
  config: RepoConfig;
  /** The watched branch's source (the controller's, or one opened for the API). */
  source: ConfigSource;
  gitDir: string;
  log: Logger;
  now?: () => Date;
  /** `--api-branch`: every write goes to this branch (started from the watched one) for a pull request. */
  reviewBranch?: string | null;
}

/** An item of a batched write with the name of the caller who sent it. */
export interface Batched<I> {
  caller: string;
  item: I;
}

/** Author of a commit holding several callers' writes (each named in a `Cfs-Requested-By` trailer). */
export const API_IDENTITY: ApiCaller = { name: "cfs-gitops REST API", role: "write" };

/** Reads and writes of the REST API. */
export class ApiRepo {
  private readonly queue = new WriteQueue();
  private cached: ManifestTree | null = null;
  private readonly records = new SessionRecordCache();
  private views: {
    statusTip: string | null;
    tree: ManifestTree | null;
    loaded: LoadedSessions;
    byName: Map<string, SessionRecord>;
  } | null = null;

  /** The status store as reads use it (see localReads). */
  private readonly reads: StatusStore;

  private constructor(
    private readonly options: ApiRepoOptions,
    /** The API's own handle on the status branch (the controller's keeps its own snapshot); writes read it fresh. */
    readonly status: StatusStore,
    private readonly writer: BranchWriter,
  ) {
    this.reads = localReads(status);
  }

  /** Opens the status branch and a branch writer on the repository. */
  static async open(options: ApiRepoOptions): Promise<ApiRepo> {
    const { config, gitDir, log } = options;
    const remote = config.kind === "remote" ? { url: config.repo, credentials: config.credentials } : null;
    const status = await createStatusStore({
      gitDir,
      branch: config.statusBranch,
      log,
      ...(remote ? { remote } : {}),
    });
    const writer = createBranchWriter({
      gitDir,
      remote,
      workTree: config.kind === "local" ? config.repo : null,
      log,
    });
    return new ApiRepo(options, status, writer);
  }

  /** The watched branch's manifests at its tip as this process knows it (null: no such branch). */
  async tree(): Promise<ManifestTree | null> {
    const source = this.options.source;
    const tip = source.localTip ? await source.localTip() : await source.fetchTip();
    if (tip === null) return null;
    if (this.cached?.commit !== tip)
      this.cached = await readManifestTree({ source: this.options.source, commit: tip });
    return this.cached;
  }

  /**
   * The sessions as `cfs-gitops sessions list` shows them, as of both branches' tips now: built
   * again only when a tip moved (records parsed once per blob), else the views built last time.
   */
  async sessions(): Promise<LoadedSessions & { byName: ReadonlyMap<string, SessionRecord> }> {
    const [statusTip, tree] = await Promise.all([this.statusTip(), this.tree()]);
    const views = this.views;
    if (views && views.statusTip === statusTip && views.tree === tree)
      return { ...views.loaded, byName: views.byName };
    const reader = await this.statusReader();
    const records = await this.records.read(reader.snapshot, this.status);
    const sessions = sessionViews({
      records,
      desired: tree?.desired ?? null,
      expired: await reader.expired(),
    });
    const byName = new Map(sessions.map((session) => [session.name, session]));
    this.views = { statusTip: reader.snapshot.tip, tree, loaded: { sessions, reader, tree }, byName };
    return { sessions, reader, tree, byName };
  }

  /** The status branch as reads see it: what this process knows, with no request to a remote. */
  statusReader(): Promise<StatusReader> {
    return StatusReader.open(this.reads);
  }

  private statusTip(): Promise<string | null> {
    return this.reads.tip ? this.reads.tip() : this.reads.load().then((snapshot) => snapshot.tip);
  }

  /** Runs one write, after every write before it, as `caller`, on the watched branch's tip. */
  write<T>(caller: ApiCaller, work: (context: WriteContext) => Promise<T>): Promise<T> {
    return this.queue.run(async () => work(await this.writeContext(caller)));
  }

  /**
   * Runs one write that may share a commit with the writes of the same `kind` waiting with it
   * (see WriteQueue): `work` gets them all, each with its caller, on one context and settles each.
   * The commit is authored by the caller when all are one caller's, else by the API itself
   * (API_IDENTITY; the work names every caller in trailers). With `--api-branch` every write
   * runs alone (each answer names its commit). Answers `reply(value)` with this item's outcome.
   */
  async batched<I, T>(input: {
    caller: ApiCaller;
    kind: string;
    item: I;
    work: (context: WriteContext, items: ReadonlyArray<Batched<I>>) => Promise<ReadonlyArray<Settled<T>>>;
    reply: (value: T) => ApiReply | Promise<ApiReply>;
  }): Promise<ApiReply> {
    const { caller, item, work, reply } = input;
    const own = { caller: caller.name, item };
    if (this.options.reviewBranch)
      return this.written(caller, async (context) => unwrap((await work(context, [own]))[0]), reply);
    const value = await this.queue.batch({
      key: input.kind,
      item: own,
      work: async (items: ReadonlyArray<Batched<I>>) => {
        const callers = new Set(items.map((i) => i.caller));
        const author = callers.size === 1 ? caller : API_IDENTITY;
        return work(await this.writeContext(author), items);
      },
    });
    return (await this.heldBack()) ?? reply(value);
  }

  /**
   * Runs one write and answers: `reply(value)` normally; with `--api-branch`, 202 naming the branch
   * and the commit, since the change takes effect only once the pull request is merged.
   */
  async written<T>(
    caller: ApiCaller,
    work: (context: WriteContext) => Promise<T>,
    reply: (value: T) => ApiReply | Promise<ApiReply>,
  ): Promise<ApiReply> {
    const branch = this.options.reviewBranch ?? null;
    if (branch === null) {
      const { value, held } = await this.write(caller, async (context) => {
        const value = await work(context);
        return { value, held: await this.heldBack() };
      });
      return held ?? reply(value);
    }
    const commit = await this.write(caller, async (context) => {
      const before = await this.writer.tip(branch);
      await work(context);
      const after = await this.writer.tip(branch);
      return after === before ? null : after;
    });
    const watched = this.options.config.branch;
    return {
      status: 202,
      body: {
        branch,
        commit,
        detail:
          commit === null
            ? `Nothing to change on branch ${branch}`
            : `Committed to branch ${branch} for a pull request into ${watched}; it takes effect once merged`,
      },
    };
  }

  /**
   * With `--verify-commits` (a source that may hold commits back): the 202 a write answers when the
   * watched branch's tip it left is not taken in (not verified, or behind one that is not), since
   * reads, and the controller, go on without it. Null when the tip is taken in, or nothing holds back.
   */
  private async heldBack(): Promise<ApiReply | null> {
    if (!this.options.source.isHeldBack) return null;
    const watched = this.options.config.branch;
    const [tip, shown] = await Promise.all([this.writer.localTip(watched), this.tree()]);
    if (tip === null || shown?.commit === tip) return null;
    const at = shown ? `at ${shown.commit.slice(0, 12)}` : "before its first commit";
    return {
      status: 202,
      body: {
        branch: watched,
        commit: tip,
        detail: `Committed to branch ${watched}, but commit verification holds the branch back ${at}: the change takes effect once every commit up to ${tip.slice(0, 12)} is verified (signed by an allowed key)`,
      },
    };
  }

  /** Stops the status reader and the writer. */
  async close(): Promise<void> {
    await this.queue.idle();
    await this.writer.close();
    await this.status.close();
  }

  private async writeContext(caller: ApiCaller): Promise<WriteContext> {
    const { config, source, gitDir, log } = this.options;
    const watched = config.branch;
    const target = this.options.reviewBranch ?? watched;
    const targetTip = await this.writer.tip(target);
    const base = targetTip ?? (await this.writer.tip(watched));
    if (base === null) throw new Error(`branch ${watched} does not exist in ${source.description}`);
    return {
      config,
      log,
      source,
      status: this.status,
      gitDir,
      io: this.io(),
      writer: this.writer,
      watched,
      target,
      base,
      targetExists: targetTip !== null,
      identity: { name: caller.name.replace(/[<>\n\r]/g, ""), email: `${slug(caller.name)}@cfs-gitops-api` },
      message: null,
    };
  }

  /** The write path reports where it committed on stderr; here that goes to the log. */
  private io(): CliIo {
    const log = this.options.log;
    const sink = { write: (text: string) => log.info({ write: text.trim() }, "api commit") };
    return {
      stdout: sink,
      stderr: sink,
      stdin: null,
      env: {},
      cwd: "/",
      now: this.options.now ?? (() => new Date()),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    };
  }
}

/** `store` whose `load` and `tip` answer from the local repository (loadLocal, localTip) when it can. */
function localReads(store: StatusStore): StatusStore {
  const loadLocal = store.loadLocal?.bind(store);
  const localTip = store.localTip?.bind(store);
  return {
    load: loadLocal ?? (() => store.load()),
    tip: localTip ?? (() => store.load().then((snapshot) => snapshot.tip)),
    readBlobs: (oids) => store.readBlobs(oids),
    pathsUnder: (prefixes) => store.pathsUnder(prefixes),
    commit: (input) => store.commit(input),
    close: () => store.close(),
  };
}

function unwrap<T>(outcome: Settled<T> | undefined): T {
  if (outcome === undefined) throw new Error("the write gave no answer");
  if (!outcome.ok) throw outcome.error;
  return outcome.value;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^-+|-+$/g, "") || "api"
  );
}
