/**
 * The reconcile loop: fetch -> read changes -> observe -> plan -> apply -> write status.
 * One pass at a time; triggers that arrive during a pass (a new commit, a runner change, the
 * resync timer) coalesce into one more pass.
 */
import type { Logger } from "pino";
import {
  manifestStem,
  problemPath,
  sessionLogDir,
  sessionLogPath,
  sessionNameOfRecordPath,
  sessionRecordPath,
  expiredPath,
  type ComponentRecord,
  type RunObservation,
  type SessionRecord,
} from "../api/index.js";
import type { ConfigSource, MergeFn, StatusStore } from "../git/types.js";
import {
  assembleDesired,
  completeRecord,
  formatTime,
  laterRecord,
  stableJson,
  statusCommitMessage,
  type Action,
  type DesiredState,
  type Locate,
  type PlanOutput,
  type RecordedState,
} from "../plan/index.js";
import { locateManifestPointer, parseManifest } from "../manifest/index.js";
import type { Runner } from "../runners/types.js";
import { resolveBranchCommit } from "../git/resolve-branch.js";
import { ComponentRecords, type ResolveBranch } from "./component-records.js";
import { applyRecordFile, applyRecordValue, loadRecordedState } from "./recorded-state.js";
import { SourceState, type ParseFn } from "./source-state.js";

/** Largest tail of a step log kept on the status branch. */
export const MAX_LOG_BYTES = 256 * 1024;

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
  /** Finds a JSON pointer's line and column in a manifest's text; default: locateManifestPointer. */
  locate?: (text: string, pointer: string) => { line: number; column: number };
  log: Logger;
  now?: () => Date;
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
}

/** The GitOps controller for one configuration repository. */
export class Controller {
  private readonly log: Logger;
  private readonly now: () => Date;
  private readonly sourceState: SourceState;
  private recorded: RecordedState = { sessions: new Map(), problems: new Map(), expired: new Map() };
  private statusFiles = new Map<string, string>();
  private loaded = false;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  private stopWatch: (() => Promise<void>) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastError: unknown = null;
  private lastCommitAt = 0;
  private progressTimer: NodeJS.Timeout | null = null;
  private desired: { version: number; state: DesiredState } | null = null;
  /** Goes up whenever `recorded` changes (what isSettled answers can only change then). */
  private recordsVersion = 0;
  /** Components, configuration records and the batcher (issue 11). */
  private readonly componentRecords: ComponentRecords;

  constructor(private readonly options: ControllerOptions) {
    this.log = options.log.child({ component: "controller" });
    this.now = options.now ?? (() => new Date());
    this.componentRecords = new ComponentRecords({
      status: options.status,
      resolveBranch: options.resolveBranch ?? ((ref) => resolveBranchCommit(ref)),
      log: this.log,
      trigger: (reason) => this.trigger(reason),
    });
    this.sourceState = new SourceState({
      source: options.source,
      parse: options.parse ?? parseManifest,
      log: this.log,
      settled: (path, blob) => this.isSettled(path, blob),
      settledVersion: () => this.recordsVersion,
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

  /** Starts watching the source and the runner; passes run until stop(). */
  async start(): Promise<void> {
    this.stopWatch = this.options.source.watch(() => this.trigger("source"));
    this.options.runner.onChange(() => this.trigger("runner"));
    this.timer = setInterval(() => this.trigger("resync"), this.options.resyncMs ?? 60_000);
    this.timer.unref();
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

  /** Runs passes until every recorded session is complete (for `controller --once`). */
  async runUntilSettled(input: { pollMs?: number; timeoutMs?: number } = {}): Promise<boolean> {
    const deadline = Date.now() + (input.timeoutMs ?? Number.POSITIVE_INFINITY);
    await this.pass();
    while (this.hasUnfinished() && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, input.pollMs ?? 250));
      await this.pass();
    }
    return !this.hasUnfinished();
  }

  /** Stops watching and waits for the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.progressTimer) clearTimeout(this.progressTimer);
    this.componentRecords.stop();
    if (this.stopWatch) await this.stopWatch();
    if (this.running) await this.running;
  }

  private hasUnfinished(): boolean {
    if (this.componentRecords.hasWaitingBatches) return true;
    return [...this.recorded.sessions.values()].some((r) => r.status.session.status !== "complete");
  }

  private async loop(): Promise<void> {
    do {
      this.again = false;
      try {
        await this.reconcile();
        this.lastError = null;
      } catch (error) {
        this.lastError = error;
        this.log.error({ err: error }, "pass failed; will retry on the next trigger");
      }
    } while (this.again && !this.stopped);
  }

  /** One pass: the ordered steps. */
  private async reconcile(): Promise<void> {
    const started = performance.now();
    await this.loadStatus();
    const sync = await this.sourceState.sync();
    if (!sync) {
      this.log.warn({ source: this.options.source.description }, "watched branch not found; waiting for it");
      return;
    }
    await this.componentRecords.resolveBranches(this.desiredAt(sync.commit));
    const observed = await this.options.runner.observe();
    const plan = this.plan(sync.commit, observed);
    await this.apply(plan);
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
    this.options.onPass?.(report);
  }

  private async loadStatus(): Promise<void> {
    if (this.loaded) return;
    const { state, snapshot } = await loadRecordedState(this.options.status, this.log);
    this.recorded = state;
    this.recordsVersion += 1;
    this.statusFiles = snapshot.files;
    await this.componentRecords.load(snapshot.files);
    this.loaded = true;
    this.log.info({ sessions: state.sessions.size, tip: snapshot.tip }, "status branch read");
  }

  private plan(commit: string, observed: Map<string, RunObservation>): PlanOutput {
    return this.componentRecords.plan({
      desired: this.desiredAt(commit),
      recorded: this.recorded,
      observed,
      now: this.now(),
    });
  }

  /**
   * The desired state at `commit`, assembled again only when the source state changed (a new
   * commit, or settled files read after all): assembling walks every manifest (10,000 sessions:
   * ~15 ms of every pass that a runner change or the resync timer started).
   */
  private desiredAt(commit: string): DesiredState {
    const version = this.sourceState.version;
    if (this.desired?.version !== version) {
      const state = assembleDesired({
        commit,
        files: this.sourceState.files.values(),
        locate: this.locator(),
        ansibleConfigs: this.sourceState.ansibleConfigs,
        settledPaths: this.sourceState.settledPaths,
      });
      this.desired = { version, state };
    }
    return this.desired.state;
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

  private async apply(plan: PlanOutput): Promise<void> {
    for (const action of plan.actions) {
      try {
        await this.applyAction(action);
      } catch (error) {
        this.failAction(plan, action, error);
      }
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

  private failAction(plan: PlanOutput, action: Action, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    if (action.type !== "start") {
      this.log.error({ session: action.name, err: error }, "could not remove run; will retry");
      return;
    }
    const name = action.spec.name;
    this.log.error({ session: name, err: error }, "could not start session");
    const record = plan.sessions.get(name) ?? this.recorded.sessions.get(name);
    if (!record) return;
    const reason = `the runner could not start the session: ${message}`;
    plan.sessions.set(
      name,
      completeRecord(record, { succeeded: "false", reason, now: formatTime(this.now()) }),
    );
    plan.completed.push(name);
  }

  /** Turns the plan's record changes into one status commit. */
  private async writeStatus(plan: PlanOutput, commit: string): Promise<string | null> {
    if (this.deferProgress(plan)) return null;
    const { changes, values } = await this.statusChanges(plan);
    if (changes.size === 0) return null;
    const result = await this.options.status.commit({
      changes,
      now: this.now(),
      merge: mergeStatusFile,
      message: (final) => statusCommitMessage({ changes: final, sourceCommit: commit }),
    });
    this.lastCommitAt = Date.now();
    if (!result) return null;
    this.recordsVersion += 1;
    for (const [path, content] of result.changes) {
      // A record committed as we wrote it is kept as it is; one merged with another writer's is read back.
      const value = content === null ? undefined : values.get(content);
      if (value === undefined) applyRecordFile(this.recorded, path, content, this.log);
      else applyRecordValue(this.recorded, path, value);
      this.componentRecords.applyFile(path, content, value);
      if (content === null) this.statusFiles.delete(path);
      else this.statusFiles.set(path, "");
    }
    return result.commit;
  }

  /**
   * True when the plan only carries progress of running sessions and the last status commit is
   * recent: the records stay unwritten (the next pass derives them again) and a pass is scheduled
   * for when the interval is over.
   */
  private deferProgress(plan: PlanOutput): boolean {
    const interval = this.options.progressIntervalMs ?? 10_000;
    const wait = this.lastCommitAt + interval - Date.now();
    if (wait <= 0 || this.componentRecords.changed || !isProgressOnly(plan, this.recorded)) return false;
    if (!this.progressTimer) {
      this.progressTimer = setTimeout(() => {
        this.progressTimer = null;
        this.trigger("progress");
      }, wait);
      this.progressTimer.unref();
    }
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
    for (const [name, record] of plan.sessions) {
      put(sessionRecordPath(name), record);
      if (!record) this.deleteLogs(changes, name);
    }
    for (const [path, problem] of plan.problems) put(problemPath(path), problem);
    for (const [name, expired] of plan.expired) put(expiredPath(name), expired);
    this.componentRecords.addChanges(put);
    for (const name of plan.completed) await this.addLogs(changes, plan.sessions.get(name) ?? null);
    return { changes, values };
  }

  private deleteLogs(changes: Map<string, Buffer | null>, name: string): void {
    const prefix = `${sessionLogDir(name)}/`;
    for (const path of this.statusFiles.keys()) if (path.startsWith(prefix)) changes.set(path, null);
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

/** When the status branch moved under us: session records keep the further-along version. */
export const mergeStatusFile: MergeFn = (path, theirs, ours) => {
  if (sessionNameOfRecordPath(path) === null || theirs === null || ours === null) return ours;
  try {
    const theirRecord = JSON.parse(theirs.toString("utf8")) as SessionRecord;
    const ourRecord = JSON.parse(ours.toString("utf8")) as SessionRecord;
    const winner = laterRecord(theirRecord, ourRecord);
    return winner === ourRecord ? ours : theirs;
  } catch {
    return ours;
  }
};
