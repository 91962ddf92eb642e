/**
 * One controller per data directory and per local repository: a lock file holding the owner's
 * pid, host and start time, created exclusively. A lock whose process is gone (same host) is
 * stale and taken over, with a log line; a live one makes the second controller refuse, naming
 * the holder, or wait for it (`--wait-lock`).
 */
import { mkdir, open, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { join } from "node:path";
import type { Logger } from "pino";
import { resolveGitDir } from "../git/repository.js";
import { realSleep, type Sleep } from "../git/sleep.js";
import type { RepoConfig } from "./config.js";
import { CliError } from "./errors.js";

/** Name of the lock file, in the data directory and in a local repository's git directory. */
export const CONTROLLER_LOCK_FILE = "cfs-gitops-controller.lock";
const WAIT_POLL_MS = 1_000;

/** What a lock file says about its holder. */
export interface LockHolder {
  pid: number;
  host: string;
  started: string;
}

/** Locks held by this process; `release` removes them (only while they are still ours). */
export interface ControllerLock {
  /** The lock files held. */
  paths: readonly string[];
  release(): Promise<void>;
}

/** Options of acquireControllerLock. */
export interface ControllerLockOptions {
  config: Pick<RepoConfig, "dataDir" | "kind" | "repo">;
  log: Logger;
  /** Wait for the holder to stop instead of refusing (`--wait-lock`). */
  wait: boolean;
  now?: () => Date;
  sleep?: Sleep;
  /** Whether a process is alive (default: signal 0). */
  isAlive?: (pid: number) => boolean;
}

/** Takes the data directory's lock and, for a local repository, the repository's. */
export async function acquireControllerLock(options: ControllerLockOptions): Promise<ControllerLock> {
  const paths = [join(options.config.dataDir, CONTROLLER_LOCK_FILE)];
  if (options.config.kind === "local")
    paths.push(join(await resolveGitDir(options.config.repo), CONTROLLER_LOCK_FILE));
  const held: string[] = [];
  const release = async (): Promise<void> => {
    for (const path of held.splice(0).reverse()) await releaseLock(path);
  };
  try {
    for (const path of paths) {
      await takeLock(path, options);
      held.push(path);
    }
  } catch (error) {
    await release();
    throw error;
  }
  return { paths, release };
}

async function takeLock(path: string, options: ControllerLockOptions): Promise<void> {
  const sleep = options.sleep ?? realSleep;
  let logged = false;
  for (;;) {
    const holder = await tryCreate(path, options);
    if (holder === null) return;
    if (!isLive(holder, options.isAlive ?? processAlive)) {
      options.log.warn(
        { lock: path, pid: holder.pid, started: holder.started },
        "taking over the lock of a controller that is gone",
      );
      await removeIfSame(path, holder);
      continue;
    }
    if (!options.wait) throw heldError(path, holder);
    if (!logged)
      options.log.info({ lock: path, pid: holder.pid }, "waiting for the controller holding the lock");
    logged = true;
    await sleep(WAIT_POLL_MS);
  }
}

/** Creates the lock file; null when created, else who holds it. */
async function tryCreate(path: string, options: ControllerLockOptions): Promise<LockHolder | null> {
  const mine: LockHolder = {
    pid: process.pid,
    host: hostname(),
    started: (options.now?.() ?? new Date()).toISOString(),
  };
  await mkdir(join(path, ".."), { recursive: true });
  try {
    const file = await open(path, "wx", 0o644);
    try {
      await file.writeFile(`${JSON.stringify(mine)}\n`);
    } finally {
      await file.close();
    }
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readHolder(path);
}

/** The holder a lock file names; an unreadable file counts as a holder that is gone. */
async function readHolder(path: string): Promise<LockHolder> {
  try {
    const data = JSON.parse(await readFile(path, "utf8")) as Partial<LockHolder>;
    return { pid: Number(data.pid), host: String(data.host ?? ""), started: String(data.started ?? "") };
  } catch {
    return { pid: Number.NaN, host: "", started: "" };
  }
}

function isLive(holder: LockHolder, isAlive: (pid: number) => boolean): boolean {
  if (!Number.isInteger(holder.pid) || holder.pid <= 0) return false;
  // Another host's pid cannot be checked from here: it holds the lock until removed by hand.
  if (holder.host !== hostname()) return true;
  return isAlive(holder.pid);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function heldError(path: string, holder: LockHolder): CliError {
  const where = holder.host === hostname() ? "" : ` on ${holder.host}`;
  return new CliError(
    `another controller (pid ${holder.pid}${where}, started ${holder.started}) holds ${path}: stop it first, or pass --wait-lock to wait for it`,
  );
}

/** Removes a stale lock unless someone else replaced it meanwhile. */
async function removeIfSame(path: string, holder: LockHolder): Promise<void> {
  const now = await readHolder(path);
  if (now.pid !== holder.pid && !(Number.isNaN(now.pid) && Number.isNaN(holder.pid))) return;
  await unlink(path).catch(() => undefined);
}

async function releaseLock(path: string): Promise<void> {
  const holder = await readHolder(path);
  if (holder.pid === process.pid && holder.host === hostname()) await unlink(path).catch(() => undefined);
}

/** The pid of the controller holding a data directory's lock, or null (none, or it is gone). */
export async function lockHolder(dataDir: string): Promise<LockHolder | null> {
  const holder = await readHolder(join(dataDir, CONTROLLER_LOCK_FILE));
  return isLive(holder, processAlive) ? holder : null;
}
