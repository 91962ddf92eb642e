/**
 * The local runner, the embedded default: every step of a session runs as a process on this
 * machine (real `git`, real `ansible-playbook`), one run directory per job under `<dataDir>/runs/`.
 */
import { randomUUID } from "node:crypto";
import { mkdir, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import type { RunObservation, RunSpec, SourceManifest } from "../../api/index.js";
import { parsePassthrough } from "../../manifest/passthrough.js";
import { formatTime } from "../../plan/duration.js";
import { realSleep, type Sleep } from "../../git/sleep.js";
import {
  DEFAULT_CLONE_RETRY,
  ansibleMissing,
  gitStepEnv,
  initialObservation,
  notifyListeners,
  sourceGitStepEnv,
  stepBaseEnv,
  type CloneRetry,
  type OriginCredentials,
} from "../steps/index.js";
import type { Runner } from "../types.js";
import { findExecutable } from "./find-executable.js";
import type { LocalRun, StepContext } from "./local-run.js";
import type { ImageService } from "../../images/types.js";
import { cleanupRunImages } from "./image-steps.js";
import { FINISHED_INDEX_FILE, FinishedIndex, readFinishedIndexSync } from "./finished-index.js";
import { FinishedRuns } from "./finished-runs.js";
import { runPipeline } from "./pipeline.js";
import { readSourceAccess, type SourceDirs } from "./source-access.js";
import { isRecordedGroupAlive, killGroup, processIdentity } from "./processes.js";
import { liveInstances, recoverRuns, type AdoptedRun } from "./recover-runs.js";
import {
  createRunDir,
  isSafeJobName,
  isSafeStepName,
  logPath,
  readPidFile,
  runPaths,
  writeState,
  type RunPaths,
  type RunState,
} from "./run-files.js";

/** Options of createLocalRunner. */
export interface LocalRunnerOptions {
  /** Run directories go in `<dataDir>/runs/<job>/`. */
  dataDir: string;
  log: Logger;
  /** Sessions beyond this many wait, pending, in order of start(). */
  maxConcurrent: number;
  /** ansible-playbook to run; default: the first on PATH. */
  ansiblePlaybookPath?: string;
  /** git to run; default `git` on PATH. */
  gitPath?: string;
  /**
   * Variables set (or, when undefined, removed) for every step process, on top of its minimal
   * environment (see stepBaseEnv: steps never inherit process.env; secret names never pass).
   */
  env?: Readonly<Record<string, string | undefined>>;
  /** The site's allow-list (`--step-env`): more names steps take from process.env. */
  stepEnv?: readonly string[];
  /** Credentials git steps use for clone URLs on their server only, scoped to each URL. Never logged. */
  gitCredentials?: OriginCredentials | null;
  /**
   * Where sources' credentials and CA certificates are read (see readSourceAccess); default
   * `<dataDir>/secrets` and `<dataDir>/configmaps`.
   */
  sourceDirs?: SourceDirs;
  /** The clock of every time in an observation. */
  now?: () => Date;
  /** Time between SIGTERM and SIGKILL when a run's processes are stopped (default 5 s). */
  killGraceMs?: number;
  /** The image service of image sessions; without one they fail at `inventory`. */
  images?: ImageService | null;
  /** Retries of a clone that failed in a way that can pass; default DEFAULT_CLONE_RETRY (CFS's 60 x 10 s). */
  cloneRetry?: CloneRetry;
  /** `--ssh-key`: the private key node sessions' ansible logs in to nodes with (never image sessions'). */
  sshKey?: string;
  /**
   * Every wait of the runner (between clone tries, kill grace periods, polls of an adopted step);
   * default a real timer. Tests pass a fake one with a fake `now`.
   */
  sleep?: Sleep;
}

const DEFAULT_KILL_GRACE_MS = 5_000;

/**
 * Create the local runner. Runs left unfinished by a previous controller on the same `dataDir`
 * are carried on: the step it left running is adopted (watched until it ends, or read from disk
 * when it ended meanwhile) and the run goes on to its real outcome; nothing is ever run twice.
 * Image sessions cannot be carried on: they are ended (processes stopped, succeeded `unknown`). When
 * ansible-playbook cannot be found one line says so, and sessions fail at their first ansible step.
 */
export async function createLocalRunner(options: LocalRunnerOptions): Promise<Runner> {
  const runsDir = join(options.dataDir, "runs");
  await mkdir(runsDir, { recursive: true });
  const self = { instance: randomUUID(), ...(await processIdentity(process.pid)) };
  const runner = new LocalRunner(options, runsDir, self);
  liveInstances.add(self.instance);
  const killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const images = options.images ?? null;
  const index = readFinishedIndexSync(join(options.dataDir, FINISHED_INDEX_FILE));
  runner.indexOpened(index);
  const recovered = await recoverRuns({
    runsDir,
    self,
    now: stamp(options),
    log: options.log,
    killGraceMs,
    sleep: options.sleep ?? realSleep,
    cleanupImages: ({ workDir, job }) =>
      cleanupRunImages({ workDir, service: images, log: options.log, job }),
    index: index.runs,
  });
  await runner.checkAnsible();
  for (const [job, run] of recovered.finished) runner.finishedRuns.keep(job, run);
  // Lines for the runs read one by one (or the whole file, when it was missing or holds many runs that are gone).
  runner.finishedRuns.saveIndex();
  for (const adopted of recovered.adopt) runner.adopt(adopted);
  return runner;
}

/** Runs sessions as local processes; see createLocalRunner. */
class LocalRunner implements Runner {
  private readonly runs = new Map<string, LocalRun>();
  private readonly queue: LocalRun[] = [];
  private readonly done = new Map<string, Promise<void>>();
  private readonly listeners: Array<() => void> = [];
  private readonly ctx: StepContext;
  private readonly log: Logger;
  private closed = false;
  /** The states observe() reports, finished runs kept in memory after their first read. */
  readonly finishedRuns: FinishedRuns;
  private readonly index: FinishedIndex;
  private byName: {
    version: number;
    states: Map<string, RunState>;
    observations: Map<string, RunObservation>;
  } | null = null;

  constructor(
    private readonly options: LocalRunnerOptions,
    private readonly runsDir: string,
    private readonly self: RunState["runner"],
  ) {
    this.log = options.log.child({ component: "local-runner" });
    this.ctx = stepContext(options, this.log, (run, next) => this.save(run, next));
    this.index = new FinishedIndex({ path: join(options.dataDir, FINISHED_INDEX_FILE), log: this.log });
    this.finishedRuns = new FinishedRuns(
      runsDir,
      () => (options.now?.() ?? new Date()).getTime(),
      this.index,
    );
  }

  /** What a restart found of the index of finished runs (see FinishedIndex.opened). */
  indexOpened(content: Parameters<FinishedIndex["opened"]>[0]): void {
    this.index.opened(content);
  }

  /** Log one line when ansible-playbook is missing (sessions will fail at their first ansible step). */
  async checkAnsible(): Promise<void> {
    if ((await this.ctx.ansible.find()) !== null) return;
    this.log.warn(`${this.ctx.ansible.missingReason}; sessions will fail at their first ansible step`);
  }

  async start(spec: RunSpec): Promise<void> {
    if (this.closed) throw new Error("the local runner is closed");
    if (!isSafeJobName(spec.job)) throw new Error(`job name "${spec.job}" cannot name a run directory`);
    if (this.runs.has(spec.job)) return;
    this.finishedRuns.forget(spec.job);
    const run: LocalRun = {
      spec,
      paths: runPaths(this.runsDir, spec.job),
      obs: initialObservation(spec),
      created: (this.options.now?.() ?? new Date()).getTime(),
      stopped: false,
      current: null,
      abort: new AbortController(),
      ansibleExtraEnv: {},
      failure: null,
    };
    if (!(await createRunDir(this.runsDir, { spec, state: this.state(run) }))) return;
    this.runs.set(spec.job, run);
    this.queue.push(run);
    this.log.info({ session: spec.name, job: spec.job }, "session queued");
    this.notify();
    this.pump();
  }

  /** Carry on a run a previous controller left (recovery made this runner its owner). */
  adopt(adopted: AdoptedRun): void {
    const { spec, state } = adopted;
    const run: LocalRun = {
      spec,
      paths: runPaths(this.runsDir, spec.job),
      obs: state.observation,
      created: state.created,
      stopped: false,
      current: null,
      abort: new AbortController(),
      ansibleExtraEnv: {},
      // A run left by an older version has no `failure`: a failed step still stops the steps after it.
      failure: state.failure ?? failedStepOf(state.observation),
    };
    this.runs.set(spec.job, run);
    this.log.info({ session: spec.name, job: spec.job }, "session adopted after a restart");
    this.begin(run);
  }

  async remove(_name: string, job: string): Promise<void> {
    if (!isSafeJobName(job)) return;
    const paths = runPaths(this.runsDir, job);
    const run = this.runs.get(job);
    if (run !== undefined) await this.stop(run);
    else await this.stopRecorded(paths);
    // Throws when IMS cannot be reached: the run directory stays and the next removal tries again.
    await cleanupRunImages({ workDir: paths.work, service: this.ctx.images, log: this.log, job });
    await rm(paths.dir, { recursive: true, force: true });
    this.finishedRuns.forget(job);
    this.notify();
  }

  async observe(): Promise<Map<string, RunObservation>> {
    const others = await this.finishedRuns.readOthers();
    const finished = this.finishedByName();
    if (others.length === 0) return new Map(finished.observations);
    const runs = new Map(finished.states);
    for (const state of others) pickOlder(runs, state);
    return new Map([...runs].map(([name, state]) => [name, state.observation]));
  }

  /**
   * The finished runs by session name (the older of two runs of one name), made again only when the
   * kept runs change: a pass with nothing new copies one Map instead of walking 10,000 states.
   */
  private finishedByName(): NonNullable<LocalRunner["byName"]> {
    const version = this.finishedRuns.version;
    if (this.byName?.version === version) return this.byName;
    const states = new Map<string, RunState>();
    for (const run of this.finishedRuns.finishedStates()) pickOlder(states, run.state);
    const observations = new Map([...states].map(([name, state]) => [name, state.observation]));
    this.byName = { version, states, observations };
    return this.byName;
  }

  onChange(callback: () => void): void {
    this.listeners.push(callback);
  }

  async readLog(job: string, step: string): Promise<string | null> {
    if (!isSafeJobName(job) || !isSafeStepName(step)) return null;
    return readFile(logPath(runPaths(this.runsDir, job), step), "utf8").catch(() => null);
  }

  isReady(): boolean {
    return !this.closed;
  }

  close(): Promise<void> {
    this.closed = true;
    liveInstances.delete(this.self.instance);
    for (const run of this.runs.values()) {
      run.stopped = true;
      run.abort.abort();
      run.current?.unref();
    }
    this.queue.length = 0;
    // The index's writes in flight end before the runner does (they never throw).
    return this.index.flush();
  }

  /** Start queued runs while fewer than maxConcurrent run. */
  private pump(): void {
    while (
      !this.closed &&
      this.done.size < Math.max(1, this.options.maxConcurrent) &&
      this.queue.length > 0
    ) {
      const run = this.queue.shift();
      if (run === undefined) return;
      this.log.info({ session: run.spec.name, job: run.spec.job }, "session starting");
      this.begin(run);
    }
  }

  /** Run (or carry on) the pipeline of `run`, counted among the runs in flight until it ends. */
  private begin(run: LocalRun): void {
    const done = runPipeline(run, this.ctx)
      .catch((error: unknown) => this.log.error({ err: error, job: run.spec.job }, "run failed unexpectedly"))
      .finally(() => this.finished(run));
    this.done.set(run.spec.job, done);
  }

  private finished(run: LocalRun): void {
    this.done.delete(run.spec.job);
    this.runs.delete(run.spec.job);
    if (!run.stopped)
      this.log.info(
        { session: run.spec.name, job: run.spec.job, succeeded: run.obs.succeeded },
        "session complete",
      );
    this.pump();
  }

  /** Stop a run of ours: take it off the queue, or stop its step's processes and wait for its pipeline. */
  private async stop(run: LocalRun): Promise<void> {
    run.stopped = true;
    run.abort.abort();
    const queued = this.queue.indexOf(run);
    if (queued >= 0) this.queue.splice(queued, 1);
    this.runs.delete(run.spec.job);
    const pgid = run.current?.pgid ?? null;
    if (pgid !== null) await killGroup({ pgid, graceMs: this.ctx.killGraceMs, sleep: this.ctx.sleep });
    await this.done.get(run.spec.job);
  }

  /** Stop the processes a run dir records when the run is not ours (another instance left it). */
  private async stopRecorded(paths: RunPaths): Promise<void> {
    const pid = await readPidFile(paths);
    if (pid !== null && (await isRecordedGroupAlive(pid)))
      await killGroup({ pgid: pid.pid, graceMs: this.ctx.killGraceMs, sleep: this.ctx.sleep });
  }

  private state(run: LocalRun): RunState {
    return { observation: run.obs, runner: this.self, created: run.created, failure: run.failure };
  }

  /** Record the next observation of a run (state.json, atomically), then tell the listeners. */
  private async save(run: LocalRun, next: RunObservation): Promise<void> {
    if (run.stopped) return;
    run.obs = next;
    await writeState(run.paths, this.state(run));
    this.notify();
  }

  private notify(): void {
    notifyListeners(this.listeners, this.log);
  }
}

/**
 * Put `state` in `runs` under its session name unless an older run of that name is there. Two runs
 * of one session name (an old job not yet removed): the older is reported (of two as old, the lower
 * job name), so the planner removes it, and the newer one is seen on the next pass.
 */
function pickOlder(runs: Map<string, RunState>, state: RunState): void {
  const known = runs.get(state.observation.name);
  if (known === undefined || isOlderRun(state, known)) runs.set(state.observation.name, state);
}

/** Whether `a` was created before `b` (of two created at once: the lower job name). */
function isOlderRun(a: RunState, b: RunState): boolean {
  return a.created < b.created || (a.created === b.created && a.observation.job < b.observation.job);
}

/** `<step> failed` for the first failed step of an observation; null when none failed. */
function failedStepOf(obs: RunObservation): string | null {
  const failed = obs.steps.find((step) => step.status === "failed");
  return failed === undefined ? null : `${failed.name} failed`;
}

/** What every step gets: tools, environments and the save function. Environments are never logged. */
function stepContext(options: LocalRunnerOptions, log: Logger, save: StepContext["save"]): StepContext {
  const base = stepBaseEnv({ from: process.env, allow: options.stepEnv ?? [], set: options.env ?? {} });
  const credentials = options.gitCredentials ?? null;
  const explicit = options.ansiblePlaybookPath;
  return {
    log,
    stamp: () => stamp(options),
    now: () => options.now?.() ?? new Date(),
    save,
    git: {
      command: options.gitPath ?? "git",
      env: (url) => gitStepEnv({ base, url, credentials }),
      sourceEnv: (url, source) => sourceEnv({ base, url, source, dirs: sourceDirsOf(options) }),
    },
    ansible: {
      find: () =>
        findExecutable({
          name: "ansible-playbook",
          pathEnv: base["PATH"] ?? "",
          ...(explicit === undefined ? {} : { explicit }),
        }),
      missingReason: ansibleMissing(explicit),
      env: base,
      sshKey: options.sshKey ?? null,
    },
    parsePassthrough,
    killGraceMs: options.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
    images: options.images ?? null,
    cloneRetry: options.cloneRetry ?? DEFAULT_CLONE_RETRY,
    sleep: options.sleep ?? realSleep,
  };
}

/** Where this runner reads the Secrets and ConfigMaps that sources name. */
function sourceDirsOf(options: LocalRunnerOptions): SourceDirs {
  return (
    options.sourceDirs ?? {
      secretsDir: join(options.dataDir, "secrets"),
      configMapsDir: join(options.dataDir, "configmaps"),
    }
  );
}

/** The environment of a clone through `source`, or why its credentials or CA cannot be read. */
async function sourceEnv(input: {
  base: Record<string, string>;
  url: string;
  source: SourceManifest;
  dirs: SourceDirs;
}): Promise<{ env: Record<string, string> } | { reason: string }> {
  const access = await readSourceAccess(input.dirs, input.source);
  if (!access.ok) return { reason: access.reason };
  return { env: sourceGitStepEnv({ base: input.base, url: input.url, ...access }) };
}

/** The current time from the injected clock, formatted for a RunObservation. */
function stamp(options: LocalRunnerOptions): string {
  return formatTime(options.now?.() ?? new Date());
}
