/**
 * `debug_on_failure` in the ansible container, as CFS's does it: after a failed layer the container
 * keeps running until the release file (`/tmp/complete`) exists or `debug_wait_time` seconds
 * (default 3600) pass, so an admin can `kubectl exec` into it; the session stays running
 * meanwhile. The wait goes to the log as marker lines (the controller shows it as `status.debug`)
 * and in plain words with the command that ends it.
 */
import { access } from "node:fs/promises";
import { DEFAULT_DEBUG_WAIT_TIME, type DebugWait } from "../../../api/index.js";
import { realSleep } from "../../../git/sleep.js";
import { debugEndMarker, debugMarker, debugReleaseCommand } from "../../../jobs/index.js";
import { formatTime } from "../../../plan/duration.js";
import { logLine, type ContainerStep, type StepClock } from "./container-step.js";

/** How often the wait looks for the release file. */
export const DEBUG_POLL_MS = 1_000;

const REAL_CLOCK: StepClock = { now: () => new Date(), sleep: realSleep };

/** How a debug wait ended: released (the file), timed out, stopped (the container was asked to), or none was due. */
export type DebugWaitEnd = "released" | "timed-out" | "stopped" | "none";

/** After a failed layer in `run`'s ansible container: wait for debugging when the session asked for it. */
export async function waitForDebugInContainer(run: ContainerStep): Promise<DebugWaitEnd> {
  if (run.spec.session.debug_on_failure !== true) return "none";
  const seconds = run.spec.debugWaitTime ?? DEFAULT_DEBUG_WAIT_TIME;
  if (seconds <= 0) return "none";
  const clock = run.clock ?? REAL_CLOCK;
  const untilMs = clock.now().getTime() + seconds * 1000;
  const wait = debugWaitOf(run, formatTime(new Date(untilMs)));
  run.out.write(`${debugMarker(wait)}\n`);
  await logLine(
    run.out,
    `debug_on_failure: this container (work directory ${wait.work_dir}) stays up and the session running until ${wait.until}; end the wait now with: ${wait.release}`,
  );
  const end = await pollRelease({ run, clock, untilMs });
  run.out.write(`${debugEndMarker()}\n`);
  await logLine(run.out, `debug_on_failure: the wait is over (${end})`);
  return end;
}

/** The wait as `status.debug` shows it: the container's work directory, its end, and how to end it now. */
function debugWaitOf(run: ContainerStep, until: string): DebugWait {
  const { namespace, pod, releaseFile } = run.config.debug;
  const release =
    namespace === null || pod === null
      ? `touch ${releaseFile} in container ${run.config.name}`
      : debugReleaseCommand({ namespace, pod, container: run.config.name });
  return { work_dir: run.config.workDir, until, release };
}

async function pollRelease(input: {
  run: ContainerStep;
  clock: StepClock;
  untilMs: number;
}): Promise<DebugWaitEnd> {
  const { run, clock, untilMs } = input;
  for (;;) {
    if (await exists(run.config.debug.releaseFile)) return "released";
    if (run.signal?.aborted === true) return "stopped";
    if (clock.now().getTime() >= untilMs) return "timed-out";
    await clock.sleep(DEBUG_POLL_MS, run.signal).catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
