/**
 * Restart recovery: a run that was not complete when its controller went away is ended as
 * `unknown` (its processes stopped first), never run again.
 */
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import { RESTARTED, completeRun } from "../steps/index.js";
import { isRecordedGroupAlive, isSameProcessAlive, killGroup } from "./processes.js";
import {
  listJobs,
  readPidFile,
  readState,
  removeUnfinishedRunDirs,
  runPaths,
  writeState,
  type RunState,
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
  /** Cleans up what an ended run had staged with the image service (IMS jobs and keys, work copies). */
  cleanupImages?: (input: { workDir: string; job: string }) => Promise<void>;
}

/** End every run whose owner is gone; returns the jobs it ended. */
export async function recoverRuns(options: RecoverOptions): Promise<string[]> {
  await removeUnfinishedRunDirs(options.runsDir);
  const recovered: string[] = [];
  for (const job of await listJobs(options.runsDir)) {
    if (await recoverRun(options, job)) recovered.push(job);
  }
  return recovered;
}

async function recoverRun(options: RecoverOptions, job: string): Promise<boolean> {
  const paths = runPaths(options.runsDir, job);
  const state = await readState(paths);
  if (state === null || state.observation.phase === "complete") return false;
  if (await isOwnerAlive(state.runner, options.self)) return false;
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
    await killGroup({ pgid: pid.pid, graceMs: options.killGraceMs });
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
    "session was running when the controller stopped; marked unknown",
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
