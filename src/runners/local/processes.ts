/**
 * Step processes: each runs in its own process group (`detached: true`) so cancelling a step stops
 * everything it started, and a later controller can tell whether a recorded group is still alive.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFile } from "node:fs/promises";
import { realSleep, type Sleep } from "../../git/sleep.js";

/** How a step process ended; `error` is set when it could not be started at all. */
export interface ProcessExit {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  error: string | null;
}

/** How to start one step process. */
export interface SpawnStepOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** File descriptor that receives stderr, and stdout unless `captureStdout`. */
  logFd: number;
  /** Pipe stdout back to the caller instead of the log (for `git ls-remote`). */
  captureStdout?: boolean;
}

/** A started step process: its group id and how it will end. */
export interface StepProcess {
  child: ChildProcess;
  /** The process group id (the child's pid), or null when it could not be started. */
  pgid: number | null;
  /** Resolves once the process has exited (or failed to start), with captured stdout if asked. */
  exit: Promise<ProcessExit & { stdout: string }>;
}

/** Start a step process as the leader of a new process group, never through a shell. */
export function spawnStep(options: SpawnStepOptions): StepProcess {
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", options.captureStdout === true ? "pipe" : options.logFd, options.logFd],
    windowsHide: true,
  });
  const chunks: Buffer[] = [];
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk));
  const exit = new Promise<ProcessExit & { stdout: string }>((resolve) => {
    const stdout = (): string => Buffer.concat(chunks).toString("utf8");
    child.once("error", (error) =>
      resolve({ exitCode: null, signal: null, error: error.message, stdout: stdout() }),
    );
    child.once("close", (code, signal) => resolve({ exitCode: code, signal, error: null, stdout: stdout() }));
  });
  return { child, pgid: child.pid ?? null, exit };
}

/** Whether any process of group `pgid` is still alive (EPERM counts: it exists, it is not ours). */
export function isGroupAlive(pgid: number): boolean {
  return signalExists(-pgid);
}

/** Whether process `pid` is alive. */
function isProcessAlive(pid: number): boolean {
  return signalExists(pid);
}

function signalExists(target: number): boolean {
  try {
    process.kill(target, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** How to stop a process group. */
export interface KillGroupOptions {
  pgid: number;
  /** Time between SIGTERM and SIGKILL. */
  graceMs: number;
  /** How often to look whether the group is gone. */
  pollMs?: number;
  /** The waits between looks (default a real timer); the grace period is counted in these waits. */
  sleep?: Sleep;
  /** How groups are signalled and looked at (default the real process table). */
  groups?: ProcessGroups;
}

/** Signalling process groups: the real process table, or a fake in tests. */
export interface ProcessGroups {
  /** Send `signal` to every process of group `pgid`; false when there is no such group. */
  send(pgid: number, signal: NodeJS.Signals): boolean;
  /** Whether any process of group `pgid` is still alive. */
  isAlive(pgid: number): boolean;
}

/** The real process groups of this machine. */
export const realProcessGroups: ProcessGroups = { send: sendToGroup, isAlive: isGroupAlive };

/** How long to wait for a group to go after SIGKILL before giving up on it. */
const KILL_WAIT_MS = 5_000;

/** SIGTERM the whole group, then SIGKILL whatever is left after the grace period; resolves when it is gone. */
export async function killGroup(options: KillGroupOptions): Promise<void> {
  const groups = options.groups ?? realProcessGroups;
  const wait = {
    pgid: options.pgid,
    groups,
    pollMs: options.pollMs ?? 50,
    sleep: options.sleep ?? realSleep,
  };
  if (!groups.send(options.pgid, "SIGTERM")) return;
  if (await waitGone({ ...wait, limitMs: options.graceMs })) return;
  groups.send(options.pgid, "SIGKILL");
  await waitGone({ ...wait, limitMs: KILL_WAIT_MS });
}

function sendToGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Whether the group is gone within `limitMs` (counted in the sleeps between looks). */
async function waitGone(input: {
  pgid: number;
  groups: ProcessGroups;
  limitMs: number;
  pollMs: number;
  sleep: Sleep;
}): Promise<boolean> {
  for (let waited = 0; waited < input.limitMs; waited += input.pollMs) {
    if (!input.groups.isAlive(input.pgid)) return true;
    await input.sleep(input.pollMs);
  }
  return !input.groups.isAlive(input.pgid);
}

/** Who a process is beyond its pid, so a pid reused after a reboot or a wrap is not mistaken for it. */
export interface ProcessIdentity {
  pid: number;
  /** `/proc/sys/kernel/random/boot_id`; null where there is no /proc. */
  boot: string | null;
  /** Start time of the process in clock ticks since boot (`/proc/<pid>/stat` field 22); null where unknown. */
  startTicks: string | null;
}

/** The identity of process `pid` as this machine sees it now. */
export async function processIdentity(pid: number): Promise<ProcessIdentity> {
  const [boot, startTicks] = await Promise.all([readBootId(), readStartTicks(pid)]);
  return { pid, boot, startTicks };
}

/**
 * Whether the process recorded as `recorded` still runs: same boot, pid alive, and (where /proc
 * tells) the same start time. A group whose leader has exited is judged by `isGroupAlive`.
 */
export function isSameProcessAlive(recorded: ProcessIdentity): Promise<boolean> {
  return isRecordedAlive(recorded, isProcessAlive);
}

/**
 * Whether the process group led by `recorded` may still have members. Linux never hands out a pid
 * that is still a group id, so a live group with that id is the recorded one unless a new process
 * with that pid (another start time) leads it, or the machine has rebooted since.
 */
export function isRecordedGroupAlive(recorded: ProcessIdentity): Promise<boolean> {
  return isRecordedAlive(recorded, isGroupAlive);
}

/** Same boot, `isAlive(pid)`, and (where both are known) the same start time as `recorded`. */
async function isRecordedAlive(
  recorded: ProcessIdentity,
  isAlive: (pid: number) => boolean,
): Promise<boolean> {
  const now = await processIdentity(recorded.pid);
  if (recorded.boot !== null && now.boot !== null && recorded.boot !== now.boot) return false;
  if (!isAlive(recorded.pid)) return false;
  return recorded.startTicks === null || now.startTicks === null || recorded.startTicks === now.startTicks;
}

async function readBootId(): Promise<string | null> {
  return readFile("/proc/sys/kernel/random/boot_id", "utf8").then(
    (text) => text.trim(),
    () => null,
  );
}

async function readStartTicks(pid: number): Promise<string | null> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => null);
  if (stat === null) return null;
  // Fields after the command name, which is in parentheses and may itself hold spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return fields[19] ?? null;
}
