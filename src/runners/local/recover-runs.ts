/**
 * Restart recovery: a run that was not complete when its controller went away is taken over by
 * the new runner, which carries it on from its files (see resume-step.ts): nothing is run twice
 * and outcomes are the real ones. Runs that cannot be carried on (image sessions, whose staging
 * lives in the controller's memory, and runs without a spec.json) are ended as `unknown`, their
 * processes stopped first, never run again.
 */
import { statSync } from "node:fs";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { Sleep } from "../../git/sleep.js";
import type { RunSpec } from "../../api/index.js";
import { RESTARTED, completeRun, isImageTarget } from "../steps/index.js";
import { isCurrent, type IndexedRun } from "./finished-index.js";
import { isRecordedGroupAlive, isSameProcessAlive, killGroup } from "./processes.js";
import {
  listJobs,
  readPidFile,
  readSpec,
  readStampedStateSync,
  removeUnfinishedRunDirs,
  runPaths,
  stampOf,
  statePath,
  writeState,
  type FileStamp,
  type RunState,
  type StampedState,
} from "./run-files.js";

/** Runner instances alive in this process (a closed runner leaves the set). */
export const liveInstances = new Set<string>();

/** What recovery needs. */
export interface RecoverOptions {
  runsDir: string;
  /** The runner doing the recovery: it becomes the owner of the runs it ends. */
  self: RunState["runner"];
  /** The current time, formatted for a RunObservation. */
  now: string;
  log: Logger;
  killGraceMs: number;
  /** The waits of the kill grace period. */
  sleep: Sleep;
  /** Cleans up what an ended run had staged with the image service (IMS jobs and keys, work copies). */
  cleanupImages?: (input: { workDir: string; job: string }) => Promise<void>;
  /** The finished runs the index holds (see finished-index.ts); each used only while its state.json is unchanged. */
  index?: ReadonlyMap<string, IndexedRun>;
}

/** A run recovery hands to the new runner to carry on; `self` already owns it. */
export interface AdoptedRun {
  spec: RunSpec;
  state: RunState;
}

/**
 * What recovery did: the jobs it ended or forgot, the runs the new runner must carry on, and the
 * states of the runs that were complete already (read once here, so observe() need not read them).
 */
export interface Recovered {
  ended: string[];
  adopt: AdoptedRun[];
  /** `indexed`: the state came from the index (its state.json was not read). */
  finished: Map<string, StampedState & { indexed: boolean }>;
}

/**
 * Take over every run whose owner is gone: adopt it, or end it when it cannot be carried on. A run
 * the index holds as finished is taken from it after one stat of its state.json (same inode, size
 * and mtime); every other run's state.json is read, and only runs not complete are examined further.
 */
export async function recoverRuns(options: RecoverOptions): Promise<Recovered> {
  await removeUnfinishedRunDirs(options.runsDir);
  const recovered: Recovered = { ended: [], adopt: [], finished: new Map() };
  for (const job of await listJobs(options.runsDir)) {
    const path = statePath(options.runsDir, job);
    const indexed = options.index?.get(job);
    if (indexed !== undefined && isCurrent(indexed, statStamp(path))) {
      recovered.finished.set(job, { state: indexed.state, stamp: indexed.stamp, indexed: true });
      continue;
    }
    // Read synchronously: at a restart nothing else waits, and 10,000 reads cost a quarter of the CPU.
    const read = readStampedStateSync(path);
    if (read === null) continue;
    if (read.state.observation.phase === "complete") {
      recovered.finished.set(job, { ...read, indexed: false });
      continue;
    }
    const outcome = await recoverRun(options, { job, state: read.state });
    if (outcome === "ended") recovered.ended.push(job);
    else if (outcome !== null) recovered.adopt.push(outcome);
  }
  return recovered;
}

/** The stamp of a file, or null when it cannot be read. */
function statStamp(path: string): FileStamp | null {
  try {
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats === undefined ? null : stampOf(stats);
  } catch {
    return null;
  }
}

async function recoverRun(
  options: RecoverOptions,
  input: { job: string; state: RunState },
): Promise<AdoptedRun | "ended" | null> {
  const { job, state } = input;
  const paths = runPaths(options.runsDir, job);
  if (await isOwnerAlive(state.runner, options.self)) return null;
  const spec = neverStarted(state) ? null : await readSpec(paths);
  if (spec !== null && !isImageTarget(spec)) {
    // Owned by this runner before anything else happens, so a third controller leaves it alone.
    const adopted = { ...state, runner: options.self };
    await writeState(paths, adopted);
    options.log.info(
      { job, session: state.observation.name },
      "carrying on a run a previous controller left",
    );
    return { spec, state: adopted };
  }
  return (await endRun(options, { job, state })) ? "ended" : null;
}

/** End a run that cannot be carried on: forgotten when it never started, else complete/unknown. */
async function endRun(options: RecoverOptions, input: { job: string; state: RunState }): Promise<boolean> {
  const { job, state } = input;
  const paths = runPaths(options.runsDir, job);
  if (neverStarted(state)) {
    // Queued behind max-concurrent and never begun: nothing ran, so the planner may start it again.
    await rm(paths.dir, { recursive: true, force: true });
    options.log.info(
      { job, session: state.observation.name },
      "queued session never started; it will start again",
    );
    return true;
  }
  const pid = await readPidFile(paths);
  if (pid !== null && (await isRecordedGroupAlive(pid))) {
    options.log.warn(
      { job, step: pid.step, pgid: pid.pid },
      "stopping the processes of a run left by a previous controller",
    );
    await killGroup({ pgid: pid.pid, graceMs: options.killGraceMs, sleep: options.sleep });
  }
  const observation = completeRun(state.observation, {
    succeeded: "unknown",
    reason: RESTARTED,
    now: options.now,
  });
  await writeState(paths, { ...state, observation, runner: options.self });
  await rm(paths.pid, { force: true });
  options.log.warn(
    { job, session: state.observation.name },
    "session was running when the controller stopped and cannot be carried on; marked unknown",
  );
  await cleanupImages(options, { workDir: paths.work, job });
  return true;
}

/** What the ended run had staged goes now, not days later when its session is deleted. */
async function cleanupImages(options: RecoverOptions, run: { workDir: string; job: string }): Promise<void> {
  try {
    await options.cleanupImages?.(run);
  } catch (error) {
    options.log.error(
      { job: run.job, err: error },
      "could not clean up the images the run had staged; retried when the session is deleted",
    );
  }
}

/** A run still waiting in the queue: pending, and not one step begun. */
function neverStarted(state: RunState): boolean {
  const { observation } = state;
  return observation.phase === "pending" && observation.steps.every((step) => step.status === "pending");
}

/** Whether the runner instance that owns a run is still alive (in this process or another). */
async function isOwnerAlive(owner: RunState["runner"], self: RunState["runner"]): Promise<boolean> {
  const sameProcess =
    owner.pid === self.pid && owner.boot === self.boot && owner.startTicks === self.startTicks;
  if (sameProcess) return liveInstances.has(owner.instance);
  return isSameProcessAlive(owner);
}
