/**
 * What makes a step process outlive its controller: before a step process starts, `launch.json`
 * names it (its step, its claim and exit files, where its output begins in the log). The process
 * runs under a small `sh` wrapper that first claims the launch (a file created exclusively, holding
 * its process group id), then runs the command, then records its exit code atomically. A controller
 * that starts again reads these files to adopt a step still running, or to learn how one ended while
 * it was away; and, by claiming a launch first, makes sure a process it could not see never starts.
 */
import { randomBytes } from "node:crypto";
import { constants } from "node:os";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { writeJsonAtomic } from "../steps/index.js";
import type { RunPaths } from "./run-files.js";

/**
 * The wrapper: `$1` the claim file, `$2` the exit file, the rest the command and its arguments
 * (passed as arguments, never parsed by the shell). Exit 125 without running anything when the
 * launch was claimed by someone else (a controller that started again before this process did).
 */
const WRAPPER = [
  "claim=$1; exitfile=$2; shift 2",
  '( set -C; echo $$ > "$claim" ) 2>/dev/null || exit 125',
  '"$@"',
  "code=$?",
  'echo "$code" > "$exitfile.tmp" && mv -f "$exitfile.tmp" "$exitfile"',
  'exit "$code"',
].join("\n");

/** The exit code the wrapper gives when its launch was claimed before it started. */
export const LAUNCH_TAKEN_EXIT = 125;

/** `launch.json`: the last step process a run launched. */
export interface StepLaunch {
  step: string;
  /** Created exclusively by the wrapper (holding its pid), or by a recovering controller. */
  claim: string;
  /** Written (atomically) by the wrapper with the command's exit code once it has ended. */
  exit: string;
  /** Size of the step's log when the process started: its output is what follows. */
  logOffset: number;
}

/** The launch file of a run. */
export function launchPath(paths: RunPaths): string {
  return join(paths.dir, "launch.json");
}

/** Record (atomically) the launch of a step process before it starts; returns it. */
export async function recordLaunch(
  paths: RunPaths,
  input: { step: string; logOffset: number },
): Promise<StepLaunch> {
  const id = randomBytes(6).toString("hex");
  const launch: StepLaunch = {
    step: input.step,
    claim: join(paths.dir, `launch-${id}.claim`),
    exit: join(paths.dir, `launch-${id}.exit`),
    logOffset: input.logOffset,
  };
  await writeJsonAtomic(launchPath(paths), launch);
  return launch;
}

/** The last launch of a run; null when there is none (or it cannot be read). */
export async function readLaunch(paths: RunPaths): Promise<StepLaunch | null> {
  const text = await readFile(launchPath(paths), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const parsed = JSON.parse(text) as Partial<StepLaunch>;
    const { step, claim, exit, logOffset } = parsed;
    if (typeof step !== "string" || typeof claim !== "string" || typeof exit !== "string") return null;
    return { step, claim, exit, logOffset: typeof logOffset === "number" ? logOffset : 0 };
  } catch {
    return null;
  }
}

/** The command and arguments that run `command args` under the wrapper of `launch`. */
export function wrapStepCommand(
  launch: StepLaunch,
  command: { command: string; args: readonly string[] },
): { command: string; args: string[] } {
  return {
    command: "/bin/sh",
    args: ["-c", WRAPPER, "cfs-step", launch.claim, launch.exit, command.command, ...command.args],
  };
}

/**
 * Claim a launch for ourselves: true when no process had claimed it (none ran, and none will:
 * its wrapper exits at once); false when its process claimed it first.
 */
export async function claimLaunch(launch: StepLaunch): Promise<boolean> {
  try {
    await writeFile(launch.claim, "recovered\n", { flag: "wx" });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The process group id the wrapper wrote in its claim; null when it is not (yet) readable. */
export async function readClaimPid(launch: StepLaunch): Promise<number | null> {
  const text = await readFile(launch.claim, "utf8").catch(() => "");
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** How a launched command ended, from its exit file; null when none was recorded. */
export async function readLaunchExit(
  launch: StepLaunch,
): Promise<{ exitCode: number | null; signal: NodeJS.Signals | null } | null> {
  const text = await readFile(launch.exit, "utf8").catch(() => null);
  if (text === null) return null;
  const code = Number(text.trim());
  if (!Number.isInteger(code)) return null;
  return exitFromShellCode(code);
}

/** sh reports a command killed by signal n as 128 + n: turn that back into the signal. */
function exitFromShellCode(code: number): { exitCode: number | null; signal: NodeJS.Signals | null } {
  if (code > 128) {
    const signal = Object.entries(constants.signals).find(([, number]) => number === code - 128);
    if (signal !== undefined) return { exitCode: null, signal: signal[0] as NodeJS.Signals };
  }
  return { exitCode: code, signal: null };
}
