/**
 * `debug_on_failure` on the local runner, as CFS's ansible execution environment does it: when a
 * layer's playbook fails, the session keeps its environment (the work directory: clones, inventory,
 * ansible.cfg) and stays running for `debug_wait_time` seconds, or until the file `complete` is
 * created in the work directory (CFS: `/tmp/complete` in the ansible container). Only then do the
 * steps after it run (an image session's teardown) and the session complete, failed.
 */
import { access } from "node:fs/promises";
import { join } from "node:path";
import { DEFAULT_DEBUG_WAIT_TIME, type DebugWait } from "../../api/index.js";
import { formatTime } from "../../plan/duration.js";
import type { LocalRun, StepContext } from "./local-run.js";
import { appendStepLog } from "./step-process.js";

/** How often the wait looks for the release file. */
export const DEBUG_POLL_MS = 1_000;

/** The file that ends a debug wait at once, relative to the work directory (CFS: /tmp/complete). */
export const DEBUG_RELEASE_FILE = "complete";

/**
 * After the failed step `step` of `run`: wait for debugging when the session asked for it (see the
 * file comment); otherwise return at once. The wait is in the observation (and so in the session
 * record, `status.debug`), in the step's log and in the controller's log.
 */
export async function waitForDebug(run: LocalRun, ctx: StepContext, step: string): Promise<void> {
  if (run.spec.session.debug_on_failure !== true) return;
  const seconds = run.spec.debugWaitTime ?? DEFAULT_DEBUG_WAIT_TIME;
  if (seconds <= 0) return;
  const releaseFile = join(run.paths.work, DEBUG_RELEASE_FILE);
  const untilMs = ctx.now().getTime() + seconds * 1000;
  const debug: DebugWait = {
    work_dir: run.paths.work,
    until: formatTime(new Date(untilMs)),
    release: `touch ${releaseFile}`,
  };
  const message = `debug_on_failure: the session's work directory ${debug.work_dir} (clones, hosts/, ansible.cfg) is kept and the session stays running until ${debug.until}; end the wait now with: ${debug.release}`;
  await appendStepLog(run, step, message);
  ctx.log.warn(
    { session: run.spec.name, job: run.spec.job, step, ...debug },
    "session failed; waiting for debugging",
  );
  await ctx.save(run, { ...run.obs, reason: run.failure, debug });
  while (!run.stopped && ctx.now().getTime() < untilMs && !(await exists(releaseFile))) {
    await ctx.sleep(DEBUG_POLL_MS, run.abort.signal).catch(() => undefined);
  }
  const { debug: _done, ...obs } = run.obs;
  await ctx.save(run, obs);
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false;
  }
}
