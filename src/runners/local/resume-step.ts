/**
 * Carrying on a run after a restart, from its files: the step a previous controller left running
 * is adopted (an `ansible-<i>` still going is watched until it ends; one that ended while no
 * controller watched is read from its exit file and log), or run again when nothing of it can have
 * had an effect outside the run directory (a clone, the inventory), or when it never started.
 */
import { open, rm } from "node:fs/promises";
import { join } from "node:path";
import type { Sleep } from "../../git/sleep.js";
import { HOSTS_DIR, layerDir, type AnsibleExit, type PlannedStep } from "../steps/index.js";
import type { LocalRun, StepContext } from "./local-run.js";
import { isGroupAlive, isRecordedGroupAlive, killGroup } from "./processes.js";
import { logPath, readPidFile } from "./run-files.js";
import { claimLaunch, readClaimPid, readLaunch, readLaunchExit, type StepLaunch } from "./step-launch.js";

/** How often an adopted step's process group is looked at. */
const ADOPT_POLL_MS = 250;
/** How long a claim may stay empty (its wrapper between creating and writing it). */
const CLAIM_WAIT_MS = 2_000;

/** What became of a step process a previous controller launched. */
export type Adopted =
  /** It never ran (and now never will): the step can run now. */
  | { kind: "not-run" }
  /** It ran and its end is known. */
  | { kind: "ended"; exit: AnsibleExit }
  /** It ran and was killed before its exit could be recorded: its outcome cannot be known. */
  | { kind: "unknown" }
  /** This runner was closed or the run removed while watching it. */
  | { kind: "stopped" };

/**
 * Adopt the `ansible-<i>` step `step` that a previous controller left running: the launch it
 * recorded is claimed (so a process that had not started yet never does), or its process is
 * watched until it ends; then its exit code and output are read from disk.
 */
export async function adoptAnsibleStep(run: LocalRun, ctx: StepContext, step: string): Promise<Adopted> {
  const launch = await launchOf(run, step);
  if (launch === null || (await claimLaunch(launch))) return { kind: "not-run" };
  const pgid = await waitClaimPid(launch, ctx);
  if (pgid !== null) {
    ctx.log.info({ job: run.spec.job, step, pgid }, "adopted a step a previous controller started");
    await watchUntilEnded(run, { launch, pgid, sleep: ctx.sleep });
    if (run.stopped) return { kind: "stopped" };
    if (isGroupAlive(pgid)) await killGroup({ pgid, graceMs: ctx.killGraceMs, sleep: ctx.sleep });
  }
  const exit = await readLaunchExit(launch);
  if (exit === null) return { kind: "unknown" };
  const output = await readFrom(logPath(run.paths, step), launch.logOffset);
  return { kind: "ended", exit: { ...exit, error: null, output } };
}

/**
 * Before a step that has no effect outside the run directory runs again: stop what a previous
 * controller launched for it, and remove what it had written (`layer<i>/`, `hosts/`).
 */
export async function resetStep(run: LocalRun, ctx: StepContext, step: PlannedStep): Promise<void> {
  const launch = await launchOf(run, step.name);
  if (launch !== null && !(await claimLaunch(launch))) {
    const pgid = await waitClaimPid(launch, ctx);
    if (pgid !== null) await killGroup({ pgid, graceMs: ctx.killGraceMs, sleep: ctx.sleep });
  }
  const dir = stepDir(step);
  if (dir !== null) await rm(join(run.paths.work, dir), { recursive: true, force: true });
}

/** The last launch of the run when it belongs to `step`. */
async function launchOf(run: LocalRun, step: string): Promise<StepLaunch | null> {
  const launch = await readLaunch(run.paths);
  return launch !== null && launch.step === step ? launch : null;
}

/** The directory under the work directory a step writes into and that must go before it runs again. */
function stepDir(step: PlannedStep): string | null {
  if (step.kind === "git-clone") return layerDir(step.layer.index);
  if (step.kind === "git-clone-hosts") return HOSTS_DIR.replace(/\/$/, "");
  return null;
}

/** The pid the wrapper wrote into its claim, waiting briefly while the claim is still empty. */
async function waitClaimPid(launch: StepLaunch, ctx: Pick<StepContext, "sleep">): Promise<number | null> {
  for (let waited = 0; waited <= CLAIM_WAIT_MS; waited += 50) {
    const pid = await readClaimPid(launch);
    if (pid !== null) return pid;
    await ctx.sleep(50);
  }
  return null;
}

/** Wait until the command has recorded its exit or its process group is gone, or the run stops. */
async function watchUntilEnded(
  run: LocalRun,
  input: { launch: StepLaunch; pgid: number; sleep: Sleep },
): Promise<void> {
  run.current = { pgid: input.pgid, unref: () => undefined };
  try {
    while (
      !run.stopped &&
      (await readLaunchExit(input.launch)) === null &&
      (await isAlive(run, input.pgid))
    ) {
      await input.sleep(ADOPT_POLL_MS, run.abort.signal).catch(() => undefined);
    }
  } finally {
    run.current = null;
  }
}

/** Whether the group is alive; by the pid file's identity when it names this group (pid reuse). */
async function isAlive(run: LocalRun, pgid: number): Promise<boolean> {
  const recorded = await readPidFile(run.paths);
  if (recorded !== null && recorded.pid === pgid) return isRecordedGroupAlive(recorded);
  return isGroupAlive(pgid);
}

/** The text of a file from byte `offset` on; empty when it cannot be read. */
async function readFrom(path: string, offset: number): Promise<string> {
  const handle = await open(path, "r").catch(() => null);
  if (handle === null) return "";
  try {
    const size = (await handle.stat()).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    await handle.read(buffer, 0, buffer.length, offset);
    return buffer.toString("utf8");
  } finally {
    await handle.close();
  }
}
