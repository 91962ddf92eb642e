/** Runs one process of a step: output appended to the step's log, pid file kept while it runs. */
import { appendFile, open, readFile, rm } from "node:fs/promises";
import { scrubSecrets } from "../../git/scrub-secrets.js";
import type { LocalRun, StepContext } from "./local-run.js";
import { isGroupAlive, killGroup, processIdentity, spawnStep, type ProcessExit } from "./processes.js";
import { writeJsonAtomic } from "../steps/index.js";
import { logPath } from "./run-files.js";
import { readLaunchExit, recordLaunch, wrapStepCommand, type StepLaunch } from "./step-launch.js";

/** One process of a step. */
export interface StepProcessOptions {
  step: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Capture stdout (returned) instead of appending it to the log. */
  captureStdout?: boolean;
}

/** How a step process ended, its stdout when captured, and what it wrote to the log. */
export type StepProcessExit = ProcessExit & { stdout: string; output: string };

const STOPPED: StepProcessExit = { exitCode: null, signal: "SIGTERM", error: null, stdout: "", output: "" };

/**
 * Run one process of a step in its own process group, appending its output to `logs/<step>.log`
 * after a `$ command args` line (credentials scrubbed). While it runs, `pid` names its group so a
 * removal or a later controller can stop it. Processes it leaves behind are stopped when it exits.
 * The process runs under the launch wrapper (see step-launch.ts), so its exit code is on disk even
 * when this controller is gone by the time it ends.
 */
export async function runStepProcess(
  run: LocalRun,
  ctx: StepContext,
  options: StepProcessOptions,
): Promise<StepProcessExit> {
  const log = logPath(run.paths, options.step);
  await appendFile(log, `$ ${scrubSecrets([options.command, ...options.args].join(" "))}\n`);
  const handle = await open(log, "a");
  try {
    const start = (await handle.stat()).size;
    if (run.stopped) return STOPPED;
    const launch = await recordLaunch(run.paths, { step: options.step, logOffset: start });
    const proc = spawnStep({ ...options, ...wrapStepCommand(launch, options), logFd: handle.fd });
    run.current = { pgid: proc.pgid, unref: () => proc.child.unref() };
    if (proc.pgid !== null) await recordPid(run, options.step, proc.pgid);
    const exit = await launchedExit(launch, await proc.exit);
    if (run.stopped) return { ...exit, output: "" };
    run.current = null;
    await rm(run.paths.pid, { force: true });
    if (proc.pgid !== null && isGroupAlive(proc.pgid))
      await killGroup({ pgid: proc.pgid, graceMs: ctx.killGraceMs, sleep: ctx.sleep });
    const output = (await readFile(log)).subarray(start).toString("utf8");
    return { ...exit, output };
  } finally {
    await handle.close();
  }
}

/** The command's own exit as its wrapper recorded it; the wrapper's when it recorded none (it was killed). */
async function launchedExit<T extends ProcessExit>(launch: StepLaunch, exit: T): Promise<T> {
  if (exit.error !== null) return exit;
  const recorded = await readLaunchExit(launch);
  return recorded === null ? exit : { ...exit, ...recorded };
}

/** Append a line the runner itself writes to a step's log. */
export async function appendStepLog(run: LocalRun, step: string, text: string): Promise<void> {
  await appendFile(logPath(run.paths, step), text.endsWith("\n") ? text : `${text}\n`);
}

async function recordPid(run: LocalRun, step: string, pgid: number): Promise<void> {
  const identity = await processIdentity(pgid);
  await writeJsonAtomic(run.paths.pid, { ...identity, step });
}
