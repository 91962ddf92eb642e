/**
 * The reconcile loop: fetch -> read changes -> observe -> plan -> apply -> write status.
 * One pass at a time; triggers that arrive during a pass (a new commit, a runner change, the
 * resync timer) coalesce into one more pass.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import {
  manifestStem,
  problemPath,
  isLogPath,
  sessionLogDir,
  sessionLogPath,
  sessionNameOfRecordPath,
  sessionRecordPath,
  expiredPath,
  expiredNameOfPath,
  failureClass,
  failureMessage,
  type FailureClass,
  type ComponentRecord,
  type RunObservation,
  type SessionRecord,
  type KeptSession,
} from "../api/index.js";
import type { ConfigSource, MergeFn, StatusStore } from "../git/types.js";
import { realSleep, type Sleep } from "../git/sleep.js";
import {
  assembleDesired,
  backoffMs,
  decideFailure,
  foldResults,
  laterRecord,
  sessionRecordError,
  stableJson,
  statusCommitMessage,
  type Action,
  type ActionResult,
  type DesiredState,
  type FailureScope,
  type Locate,
  type PlanOutput,
  type QuietSessions,
  type RecordedState,
} from "../plan/index.js";
import { locateManifestPointer, parseManifest } from "../manifest/index.js";
import { ParsePool } from "./parse-pool.js";
import { mapLimit } from "../runners/map-limit.js";
import type { Runner } from "../runners/types.js";
import { resolveBranchCommit } from "../git/resolve-branch.js";
import { consecutiveStarts } from "./action-groups.js";
import { ChangedNames } from "./changed-names.js";
import { ComponentRecords, type ResolveBranch } from "./component-records.js";
import { logsOfDeleted } from "./deleted-logs.js";
import { applyRecordFile, applyRecordValue, loadRecordedState } from "./recorded-state.js";
import { WatchedBranchMissingError } from "./errors.js";
import { SourceState, type ParseFn, type ParseManyFn } from "./source-state.js";
import { WakeTimer } from "./wake-timer.js";

/** Largest tail of a step log kept on the status branch. */
export const MAX_LOG_BYTES = 256 * 1024;

/** What a ParseManyFn is given. */
type ParseInputs = Parameters<ParseManyFn>[0];

/** Counters a pass reports (for logs and metrics). */
export interface PassReport {
  commit: string | null;
  moved: boolean;
  filesRead: number;
  actions: number;
  statusCommit: string | null;
  durationMs: number;
}

/** Everything the controller needs, injected. */
export interface ControllerOptions {
  source: ConfigSource;
  status: StatusStore;
  runner: Runner;
  /** Parses one manifest file; default: the manifest room's parseManifest. */
  parse?: ParseFn;
  /**
   * Parses the files of a large read together (see SourceStateOptions); default with the default
   * `parse`: a ParsePool (worker threads), else `parse` one after another.
   */
  parseMany?: ParseManyFn;
  /** Finds a JSON pointer's line and column in a manifest's text; default: locateManifestPointer. */
  locate?: (text: string, pointer: string) => { line: number; column: number };
  log: Logger;
  /** The clock of every time and timer of the loop; default the system clock. */
  now?: () => Date;
  /** The wait of every timer of the loop (resync, progress, retries, runUntilSettled); default a real timer. */
  sleep?: Sleep;
  /** Jitter of the retry backoff: a number in [0, 1); default Math.random. */
  random?: () => number;
  /** Backoff of transient failures: first retry after about `baseMs`, doubling up to `maxMs` (default 1 s, 60 s). */
  retry?: { baseMs: number; maxMs: number };
  /** Full resync interval (TTL expiry, lost events); default 60 s. */
  resyncMs?: number;
  /**
   * Least time between two status commits that only carry progress (a step or layer finished while
   * the session stays running); transitions (pending, running, complete, deleted) and problems are
   * committed at once. Default 10 s.
   */
  progressIntervalMs?: number;
  onPass?: (report: PassReport) => void;
  /** Resolves a layer's branch to its commit when its configuration changes; default: `git ls-remote`. */
  resolveBranch?: ResolveBranch;
  /** Called for every failure (a pass, or one action of it) with its class; the health after it is `health`. */
  onFailure?: (failure: LoopFailure) => void;
  /** Called after each status commit (the forge notifier hooks in here); must not throw. */
  onStatusCommit?: (event: StatusCommitNotice) => void;
}

/** What a status commit changed: its commit, the source commit, the files, and every session record after it. */
export interface StatusCommitNotice {
  commit: string;
  sourceCommit: string;
  paths: readonly string[];
  /** Whole records, or the compact form of completed ones (see SettledSession). */
  sessions: ReadonlyMap<string, KeptSession>;
}

/** A failure the loop met. */
export interface LoopFailure {
  scope: FailureScope;
  failure: FailureClass;
  message: string;
  /** The session of an action's failure. */
  session?: string;
}

/**
 * How the loop is doing: `ok` after a pass that succeeded with every action; `retrying` while
 * transient failures are retried with backoff; `stalled` after a failure no retry fixes by itself
 * (it stays so until a pass succeeds).
 */
export interface LoopHealth {
  state: "ok" | "retrying" | "stalled";
  /** Passes in a row that failed or had a failed action. */
  failures: number;
  /** The last failure, or null when ok. */
  last: LoopFailure | null;
}

/** The GitOps controller for one configuration repository. */
export class Controller {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly sourceState: SourceState;
  private recorded: RecordedState = { sessions: new Map(), problems: new Map(), expired: new Map() };
  /**
   * The status branch's files other than logs (path -> blob id), as last read or written: what a
   * reload compares against. Logs (two thirds of the files) are asked of the store when needed.
   */
  private statusFiles = new Map<string, string>();
  private loaded = false;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private stopWatch: (() => Promise<void>) | null = null;
  private lastError: unknown = null;
  private lastCommitAt = Number.NEGATIVE_INFINITY;
  private readonly sleep: Sleep;
  private readonly progressTimer: WakeTimer;
  private readonly retryTimer: WakeTimer;
  private readonly resyncTimer: WakeTimer;
  private loopHealth: LoopHealth = { state: "ok", failures: 0, last: null };
  /**
   * The desired state last assembled, and what it was assembled from: the source state's version,
   * and what isSettled answered while assembling (a finished session's references are not checked),
   * asked again to know whether the state still holds.
   */
  private desired: {
    version: number;
    baseVersion: number;
    settled: Array<[string, string, boolean]>;
    state: DesiredState;
  } | null = null;
  /**
   * Sessions whose record (or expiry note) changed since the source state last asked: what
   * isSettled answers can only change for them.
   */
  private readonly changedForSource = new ChangedNames();
  /** The same, since the planner last asked (it looks again only at those completed sessions). */
  private readonly changedForPlan = new ChangedNames();
  /** What the last plan found of the completed sessions (see QuietSessions). */
  private quiet: QuietSessions | null = null;
  /** The status branch's tip as last read or written; null before. */
  private statusTip: string | null = null;
  /** Set by the resync timer: the next pass reads what others changed on the status branch. */
  private statusCheckDue = false;
  /** Components, configuration records and the batcher (issue 11). */
  private readonly componentRecords: ComponentRecords;
  /** Parses large reads on worker threads (null when the caller brought its own parse). */
  private readonly parsePool: ParsePool | null;

  constructor(private readonly options: ControllerOptions) {
    this.log = options.log.child({ component: "controller" });
    this.now = options.now ?? (() => new Date());
    this.sleep = options.sleep ?? realSleep;
    const timer = (reason: string): WakeTimer =>
      new WakeTimer({ now: this.now, sleep: this.sleep, fire: () => this.trigger(reason) });
    this.progressTimer = timer("progress");
    this.retryTimer = timer("retry");
    this.resyncTimer = new WakeTimer({
      now: this.now,
      sleep: this.sleep,
      fire: () => {
        this.statusCheckDue = true;
        this.resyncTimer.set(this.options.resyncMs ?? 60_000);
        this.trigger("resync");
      },
    });
    this.componentRecords = new ComponentRecords({
      status: options.status,
      resolveBranch: options.resolveBranch ?? ((ref) => resolveBranchCommit(ref)),
      log: this.log,
      trigger: (reason) => this.trigger(reason),
    });
    const pool = options.parse || options.parseMany ? null : new ParsePool();
    this.parsePool = pool;
    const parseMany = options.parseMany ?? (pool ? (inputs: ParseInputs) => pool.parseMany(inputs) : null);
    this.sourceState = new SourceState({
      source: options.source,
      parse: options.parse ?? parseManifest,
      ...(parseMany ? { parseMany } : {}),
      log: this.log,
      settled: (path, blob) => this.isSettled(path, blob),
      settledChanges: () => this.changedForSource.take(),
      heldSource: (path) => this.recorded.sessions.get(manifestStem(path))?.status.source,
    });
  }

  /** The records as last written (read-only view for the server and tests). */
  get records(): RecordedState {
    return this.recorded;
  }

  /** Component records as last written (read-only view for the server and tests). */
  get components(): ReadonlyMap<string, ComponentRecord> {
    return this.componentRecords.records;
  }

  /** The error of the last pass, or null when it succeeded. */
  get error(): unknown {
    return this.lastError;
  }

  /** How the loop is doing (for `/readyz` and metrics). */
  get health(): LoopHealth {
    return this.loopHealth;
  }

  /** Starts watching the source and the runner; passes run until stop(). */
  async start(): Promise<void> {
    this.stopWatch = this.options.source.watch(() => this.trigger("source"));
    this.options.runner.onChange(() => this.trigger("runner"));
    this.resyncTimer.set(this.options.resyncMs ?? 60_000);
    await this.pass();
  }

  /** Requests a pass; coalesces with one in flight. */
  trigger(reason: string): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.log.debug({ reason }, "pass requested");
    void this.pass();
  }

  /** Runs one pass now (waiting for one in flight first) and any pass requested meanwhile. */
  async pass(): Promise<void> {
    while (this.running) await this.running;
    this.running = this.loop();
    try {
      await this.running;
    } finally {
      this.running = null;
    }
  }

  /**
   * Runs passes until every recorded session is complete (for `controller --once`); false when
   * `timeoutMs` ran out first. A pass that fails for good (stalling) throws its error at once; one
   * that fails transiently is retried with backoff, and its error thrown if the time runs out.
   */
  async runUntilSettled(input: { pollMs?: number; timeoutMs?: number } = {}): Promise<boolean> {
    const deadline = this.now().getTime() + (input.timeoutMs ?? Number.POSITIVE_INFINITY);
    await this.pass();
    for (;;) {
      this.throwIfStalled();
      const left = deadline - this.now().getTime();
      if ((!this.hasUnfinished() && this.lastError === null) || left <= 0) break;
      const wait = this.lastError === null ? (input.pollMs ?? 250) : this.retryDelay();
      await this.sleep(Math.min(wait, left));
      await this.pass();
    }
    if (this.lastError !== null) throw asError(this.lastError);
    return !this.hasUnfinished();
  }

  /** Stops watching and waits for the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resyncTimer.clear();
    this.progressTimer.clear();
    this.retryTimer.clear();
    this.componentRecords.stop();
    if (this.stopWatch) await this.stopWatch();
    if (this.running) await this.running;
    await this.parsePool?.close();
  }

  private throwIfStalled(): void {
    if (this.loopHealth.state === "stalled" && this.lastError !== null) throw asError(this.lastError);
  }

  private hasUnfinished(): boolean {
    if (this.componentRecords.hasWaitingBatches) return true;
    return [...this.recorded.sessions.values()].some((r) => r.status.session.status !== "complete");
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        const { report, failures } = await this.reconcile();
        this.lastError = null;
        this.settleHealth(failures);
        this.options.onPass?.(report);
      } catch (error) {
        this.lastError = error;
        const failure: LoopFailure = {
          scope: "pass",
          failure: failureClass(error),
          message: failureMessage(error),
        };
        this.degrade(failure);
        this.options.onFailure?.(failure);
        this.log.error({ err: error, health: this.loopHealth.state }, "pass failed");
      }
    } while (this.again && !this.stopped);
  }

  /** After a pass that ran: ok unless an action failed in a way that needs a retry. */
  private settleHealth(failures: LoopFailure[]): void {
    const retried = failures.filter((f) => decideFailure(f.failure, f.scope).retry !== "none");
    const worst = retried.find((f) => decideFailure(f.failure, f.scope).stall) ?? retried[0];
    if (worst) this.degrade(worst);
    else {
      if (this.loopHealth.state !== "ok") this.log.info("the loop recovered");
      this.loopHealth = { state: "ok", failures: 0, last: null };
      this.retryTimer.clear();
    }
    for (const failure of failures) this.options.onFailure?.(failure);
  }

  /** The one place a failure changes the loop's health and schedules the retry its class asks for. */
  private degrade(failure: LoopFailure): void {
    const decision = decideFailure(failure.failure, failure.scope);
    const state = decision.stall ? "stalled" : "retrying";
    this.loopHealth = { state, failures: this.loopHealth.failures + 1, last: failure };
    if (decision.retry === "backoff" && !this.stopped) this.retryTimer.set(this.retryDelay());
  }

  /** The jittered backoff before the next retry, from the failures in a row. */
  private retryDelay(): number {
    const { baseMs, maxMs } = this.options.retry ?? { baseMs: 1_000, maxMs: 60_000 };
    const random = (this.options.random ?? Math.random)();
    return backoffMs({ attempt: this.loopHealth.failures, baseMs, maxMs, random });
  }

  /** One pass: the ordered steps; returns its report and the failures of its actions. */
  private async reconcile(): Promise<{ report: PassReport; failures: LoopFailure[] }> {
    const started = performance.now();
    await this.loadStatus();
    const sync = await this.sourceState.sync();
    if (!sync && this.options.source.isHeldBack?.() === true) {
      this.log.warn(
        { source: this.options.source.description },
        "no commit of the watched branch is verified yet",
      );
      const report = { commit: null, moved: false, filesRead: 0, actions: 0, statusCommit: null };
      return { report: { ...report, durationMs: performance.now() - started }, failures: [] };
    }
    if (!sync) {
      throw new WatchedBranchMissingError(
        `the watched branch does not exist in ${this.options.source.description}`,
        { source: this.options.source.description },
      );
    }
    await this.componentRecords.resolveBranches(this.desiredAt(sync.commit));
    const observed = await this.options.runner.observe();
    const planned = this.plan(sync.commit, observed);
    await this.keepDeletedLogs(planned, observed);
    const results = await this.apply(planned);
    const plan = foldResults({ plan: planned, results, recorded: this.recorded, now: this.now() });
    const statusCommit = await this.writeStatus(plan, sync.commit);
    const report: PassReport = {
      commit: sync.commit,
      moved: sync.moved,
      filesRead: sync.read,
      actions: plan.actions.length,
      statusCommit,
      durationMs: performance.now() - started,
    };
    if (sync.moved || plan.actions.length > 0 || statusCommit) this.log.info(report, "pass");
    return { report, failures: results.flatMap((result) => (result.ok ? [] : [actionFailure(result)])) };
  }

  private async loadStatus(): Promise<void> {
    if (this.loaded) {
      if (this.statusCheckDue) await this.reloadChangedStatus();
      return;
    }
    const { state, snapshot } = await loadRecordedState(this.options.status, this.log);
    this.recorded = state;
    this.changedForSource.noteAll();
    this.changedForPlan.noteAll();
    this.statusFiles = withoutLogs(snapshot.files);
    this.statusTip = snapshot.tip;
    await this.componentRecords.load(this.statusFiles);
    this.loaded = true;
    this.log.info({ sessions: state.sessions.size, tip: snapshot.tip }, "status branch read");
  }

  /**
   * Reads back the status files someone else changed since we last read or wrote the branch (a
   * hand edit, another version), so a record broken there is found and repaired by the running
   * controller, not only by a restart. Cheap when the branch did not move.
   */
  private async reloadChangedStatus(): Promise<void> {
    this.statusCheckDue = false;
    const snapshot = await this.options.status.load();
    if (snapshot.tip === this.statusTip) return;
    const files = withoutLogs(snapshot.files);
    const changed = [...files].filter(([path, oid]) => this.statusFiles.get(path) !== oid);
    const gone = [...this.statusFiles.keys()].filter((path) => !files.has(path));
    const blobs = await this.options.status.readBlobs(changed.map(([, oid]) => oid));
    for (const [path, oid] of changed) {
      const content = blobs.get(oid) ?? null;
      applyRecordFile(this.recorded, { path, content, oid, tip: snapshot.tip }, this.log);
      this.componentRecords.applyFile(path, content, undefined);
    }
    for (const path of gone) {
      applyRecordFile(this.recorded, { path, content: null }, this.log);
      this.componentRecords.applyFile(path, null, undefined);
    }
    this.statusFiles = files;
    this.statusTip = snapshot.tip;
    this.noteChangedRecords([...changed.map(([path]) => path), ...gone]);
    if (changed.length + gone.length > 0)
      this.log.info(
        { changed: changed.length, gone: gone.length },
        "status branch changed by another writer",
      );
  }

  private plan(commit: string, observed: Map<string, RunObservation>): PlanOutput {
    const planned = this.componentRecords.plan({
      desired: this.desiredAt(commit),
      recorded: this.recorded,
      observed,
      now: this.now(),
      quiet: {
        previous: this.quiet,
        changed: this.changedForPlan.take(),
        presenceVersion: this.sourceState.presenceVersion,
      },
    });
    this.quiet = planned.quiet ?? null;
    return planned;
  }

  /**
   * The desired state at `commit`, assembled again only when the source state changed (a new
   * commit, or settled files read after all): assembling walks every manifest read (10,000
   * sessions: ~15 ms of every pass that a runner change or the resync timer started). While no
   * file outside `sessions/` changed, the base (20,000 components, their configurations) is kept.
   */
  private desiredAt(commit: string): DesiredState {
    const { version, baseVersion } = this.sourceState;
    const cached = this.desired;
    const same = cached?.settled.every(([path, blob, was]) => this.isSettled(path, blob) === was);
    if (cached?.version === version && same) return cached.state;
    const settled: Array<[string, string, boolean]> = [];
    const state = assembleDesired({
      commit,
      files: this.sourceState.files.values(),
      locate: this.locator(),
      ansibleConfigs: this.sourceState.ansibleConfigs,
      presentPaths: this.sourceState.presentPaths,
      settled: (path, blob) => {
        const answer = this.isSettled(path, blob);
        settled.push([path, blob, answer]);
        return answer;
      },
      ...(cached?.baseVersion === baseVersion ? { base: cached.state.base } : {}),
    });
    this.desired = { version, baseVersion, settled, state };
    return state;
  }

  /** Notes the sessions whose record or expiry note is among these status paths. */
  private noteChangedRecords(paths: Iterable<string>): void {
    for (const path of paths) {
      const name = sessionNameOfRecordPath(path) ?? expiredNameOfPath(path);
      if (name === null) continue;
      this.changedForSource.note(name);
      this.changedForPlan.note(name);
    }
  }

  /**
   * True when the session file `path` at `blob` needs no reading: the status branch holds its session
   * complete (or expired) from exactly this file and blob. Sessions are immutable, so the planner
   * decides nothing from such a file's content.
   */
  private isSettled(path: string, blob: string): boolean {
    const name = manifestStem(path);
    const record = this.recorded.sessions.get(name);
    if (record) {
      const { source, session } = record.status;
      return session.status === "complete" && source.path === path && source.blob === blob;
    }
    const expired = this.recorded.expired.get(name);
    return expired !== undefined && expired.path === path && expired.blob === blob;
  }

  private locator(): Locate {
    const locate = this.options.locate ?? locateManifestPointer;
    return (path, pointer) => {
      const file = this.sourceState.files.get(path);
      if (!file) return { line: 1, column: 1 };
      return locate(Buffer.from(file.bytes).toString("utf8"), pointer);
    };
  }

  /**
   * Applies the plan's actions in its order (consecutive starts up to the runner's
   * startConcurrency at once); one result per action, in the plan's order, failures never thrown.
   */
  private async apply(plan: PlanOutput): Promise<ActionResult[]> {
    const results: ActionResult[] = [];
    const limit = this.options.runner.startConcurrency ?? 1;
    for (const group of consecutiveStarts(plan.actions)) {
      const work = (action: Action): Promise<ActionResult> => this.applyOne(action);
      results.push(
        ...(await mapLimit({ items: group, limit: group[0]?.type === "start" ? limit : 1, work })),
      );
    }
    return results;
  }

  private async applyOne(action: Action): Promise<ActionResult> {
    try {
      await this.applyAction(action);
      return { action, ok: true };
    } catch (error) {
      const failure = failureClass(error);
      const session = action.type === "start" ? action.spec.name : action.name;
      this.log.error({ session, action: action.type, err: error, failure }, "action failed");
      return { action, ok: false, failure, message: failureMessage(error) };
    }
  }

  private async applyAction(action: Action): Promise<void> {
    if (action.type === "start") {
      this.log.info({ session: action.spec.name, job: action.spec.job }, "starting session");
      await this.options.runner.start(action.spec);
      return;
    }
    this.log.info({ session: action.name, job: action.job, why: action.why }, "removing run");
    await this.options.runner.remove(action.name, action.job);
  }

  /** Turns the plan's record changes into one status commit. */
  private async writeStatus(plan: PlanOutput, commit: string): Promise<string | null> {
    const sessionChanges = plan.sessions.size + plan.problems.size + plan.expired.size;
    if (sessionChanges === 0 && !this.componentRecords.changed) return null;
    if (this.deferProgress(plan)) return null;
    const { changes, values } = await this.statusChanges(plan);
    if (changes.size === 0) return null;
    const result = await this.options.status.commit({
      changes,
      now: this.now(),
      merge: mergeStatusFile,
      message: (final) =>
        statusCommitMessage({
          changes: final,
          sourceCommit: commit,
          recordOf: (content) => values.get(content as Buffer),
        }),
    });
    this.lastCommitAt = this.now().getTime();
    if (!result) return null;
    this.noteChangedRecords(result.changes.keys());
    for (const [path, content] of result.changes) {
      // A record committed as we wrote it is kept as it is; one merged with another writer's is read back.
      const value = content === null ? undefined : values.get(content);
      if (value === undefined) applyRecordFile(this.recorded, { path, content }, this.log);
      else applyRecordValue(this.recorded, path, value);
      this.componentRecords.applyFile(path, content, value);
      this.noteWritten(path, content);
    }
    // Another writer moved the branch meanwhile: the next pass reads what it changed.
    if (result.retries === 0) this.statusTip = result.commit;
    else this.statusCheckDue = true;
    const paths = [...result.changes.keys()];
    this.options.onStatusCommit?.({
      commit: result.commit,
      sourceCommit: commit,
      paths,
      sessions: this.recorded.sessions,
    });
    return result.commit;
  }

  /** Keeps the blob id of a status file just written (logs are not kept: see statusFiles). */
  private noteWritten(path: string, content: Buffer | null): void {
    if (isLogPath(path)) return;
    if (content === null) this.statusFiles.delete(path);
    else this.statusFiles.set(path, gitBlobId(content));
  }

  /**
   * True when the plan only carries progress of running sessions and the last status commit is
   * recent: the records stay unwritten (the next pass derives them again) and a pass is scheduled
   * for when the interval is over.
   */
  private deferProgress(plan: PlanOutput): boolean {
    const interval = this.options.progressIntervalMs ?? 10_000;
    const wait = this.lastCommitAt + interval - this.now().getTime();
    if (wait <= 0 || this.componentRecords.changed || !isProgressOnly(plan, this.recorded)) return false;
    this.progressTimer.set(wait);
    return true;
  }

  /**
   * The status files the plan changes, and the record each new file was written from (so the records
   * committed need not be parsed back: 10,000 new records are ~20 MiB of objects at the peak).
   */
  private async statusChanges(
    plan: PlanOutput,
  ): Promise<{ changes: Map<string, Buffer | null>; values: Map<Buffer, object> }> {
    const changes = new Map<string, Buffer | null>();
    const values = new Map<Buffer, object>();
    const put = (path: string, value: object | null): void => {
      const content = value === null ? null : Buffer.from(stableJson(value));
      if (content !== null && value !== null) values.set(content, value);
      changes.set(path, content);
    };
    const gone: string[] = [];
    for (const [name, record] of plan.sessions) {
      put(sessionRecordPath(name), record);
      if (!record) gone.push(`${sessionLogDir(name)}/`);
    }
    // The logs of removed records go with them: one walk of the store's list for all of them.
    for (const path of await this.options.status.pathsUnder(gone)) changes.set(path, null);
    for (const [path, problem] of plan.problems) put(problemPath(path), problem);
    for (const [name, expired] of plan.expired) put(expiredPath(name), expired);
    this.componentRecords.addChanges(put);
    for (const name of plan.completed) await this.addLogs(changes, plan.sessions.get(name) ?? null);
    return { changes, values };
  }

  /**
   * Commits the logs of sessions deleted before they completed, before their runs are removed (the
   * deletion commit then removes them from the tip; `git log cfs-status` keeps them).
   */
  private async keepDeletedLogs(plan: PlanOutput, observed: Map<string, RunObservation>): Promise<void> {
    const { runner, status } = this.options;
    const logs = await logsOfDeleted({ plan, recorded: this.recorded, observed, runner, shorten: tail });
    if (logs.size === 0) return;
    const names = [...new Set([...logs.keys()].map((path) => path.split("/")[1] ?? ""))].sort();
    const result = await status.commit({
      changes: logs,
      now: this.now(),
      message: () => `status: logs of ${names.join(", ")}, deleted before completing\n`,
    });
    if (!result) return;
    this.lastCommitAt = this.now().getTime();
    if (result.retries === 0) this.statusTip = result.commit;
  }

  private async addLogs(changes: Map<string, Buffer | null>, record: SessionRecord | null): Promise<void> {
    const job = record?.status.session.job;
    if (!record || !job) return;
    for (const step of record.status.steps) {
      const text = await this.options.runner.readLog(job, step.name).catch(() => null);
      if (text !== null) changes.set(sessionLogPath(record.name, step.name), Buffer.from(tail(text)));
    }
  }
}

/** The status files other than logs, in a map of their own. */
function withoutLogs(files: ReadonlyMap<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [path, oid] of files) if (!isLogPath(path)) out.set(path, oid);
  return out;
}

/** `error` as an Error (a thrown non-Error is wrapped). */
function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The failure of an action's result. */
function actionFailure(result: Extract<ActionResult, { ok: false }>): LoopFailure {
  const { action, failure, message } = result;
  const session = action.type === "start" ? action.spec.name : action.name;
  return { scope: action.type, failure, message, session };
}

/** The id git gives a blob of `content` (SHA-1 repositories: the default object format). */
function gitBlobId(content: Buffer): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

/** True when no record changes status or succeeded, none is created or deleted, and nothing else changes. */
export function isProgressOnly(plan: PlanOutput, recorded: RecordedState): boolean {
  if (plan.problems.size > 0 || plan.expired.size > 0 || plan.completed.length > 0) return false;
  for (const [name, next] of plan.sessions) {
    const previous = recorded.sessions.get(name);
    if (!next || !previous) return false;
    const a = previous.status.session;
    const b = next.status.session;
    if (a.status !== b.status || a.succeeded !== b.succeeded) return false;
  }
  return true;
}

/** Keeps the last MAX_LOG_BYTES of a log, saying so on its first line. */
export function tail(text: string): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= MAX_LOG_BYTES) return text;
  const kept = bytes.subarray(bytes.length - MAX_LOG_BYTES).toString("utf8");
  return `[cfs-gitops: log cut to its last ${MAX_LOG_BYTES} bytes]\n${kept}`;
}

/**
 * When the status branch moved under us: session records keep the further-along version; theirs
 * only when it has the record's shape (a hand-broken record never wins over ours).
 */
export const mergeStatusFile: MergeFn = (path, theirs, ours) => {
  const name = sessionNameOfRecordPath(path);
  if (name === null || theirs === null || ours === null) return ours;
  try {
    const theirValue: unknown = JSON.parse(theirs.toString("utf8"));
    if (sessionRecordError(theirValue, name) !== null) return ours;
    const theirRecord = theirValue as SessionRecord;
    const ourRecord = JSON.parse(ours.toString("utf8")) as SessionRecord;
    const winner = laterRecord(theirRecord, ourRecord);
    return winner === ourRecord ? ours : theirs;
  } catch {
    return ours;
  }
};
