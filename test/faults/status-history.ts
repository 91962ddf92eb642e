/**
 * Reads the status branch the way an auditor would: the records at its tip, and every version of
 * each session record along `git log cfs-status`, to count transitions that went backward or were
 * lost. One `git cat-file --batch` answers all the lookups of a call.
 */
import { execFileSync } from "node:child_process";
import type { SessionRecord } from "../../src/api/index.js";

/** One session's state as a record showed it. */
export interface SessionState {
  status: string;
  succeeded: string;
}

/** What the walk of one session's history found. */
export interface SessionHistory {
  /** The distinct states in commit order (consecutive repeats dropped). */
  states: SessionState[];
  /** Moves to a lower status, or a change of `succeeded` once it was set. */
  backward: number;
  /** The record disappeared from the branch after it existed. */
  vanished: number;
}

const RANK: Record<string, number> = { pending: 0, running: 1, complete: 2 };

/** Runs git in `gitDir` and returns stdout. */
export function gitOut(gitDir: string, args: string[], input?: string): string {
  return execFileSync("git", ["--git-dir", gitDir, ...args], {
    encoding: "utf8",
    input: input ?? "",
    maxBuffer: 512 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
}

/** The content of each `<rev>:<path>` (null when missing), in one `git cat-file --batch`. */
export function readObjects(gitDir: string, specs: readonly string[]): Array<string | null> {
  if (specs.length === 0) return [];
  const out = execFileSync("git", ["--git-dir", gitDir, "cat-file", "--batch"], {
    input: `${specs.join("\n")}\n`,
    maxBuffer: 512 * 1024 * 1024,
    stdio: ["pipe", "pipe", "pipe"],
  });
  const results: Array<string | null> = [];
  let at = 0;
  for (let i = 0; i < specs.length; i += 1) {
    const eol = out.indexOf(10, at);
    const header = out.subarray(at, eol).toString("utf8");
    at = eol + 1;
    const size = /^[0-9a-f]+ \w+ (\d+)$/.exec(header)?.[1];
    if (size === undefined) {
      results.push(null);
      continue;
    }
    results.push(out.subarray(at, at + Number(size)).toString("utf8"));
    at += Number(size) + 1;
  }
  return results;
}

/** The session records at the tip of `branch` (null for a session without one). */
export function tipRecords(
  gitDir: string,
  input: { branch?: string; sessions: readonly string[] },
): Map<string, SessionRecord | null> {
  const branch = input.branch ?? "cfs-status";
  if (!hasBranch(gitDir, branch)) return new Map(input.sessions.map((s) => [s, null]));
  const texts = readObjects(
    gitDir,
    input.sessions.map((s) => `refs/heads/${branch}:sessions/${s}.json`),
  );
  return new Map(input.sessions.map((s, i) => [s, parseRecord(texts[i] ?? null)]));
}

/** Whether `branch` exists in `gitDir`. */
export function hasBranch(gitDir: string, branch: string): boolean {
  try {
    gitOut(gitDir, ["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`]);
    return true;
  } catch {
    return false;
  }
}

/** Each session's history along the first-parent log of `branch`, oldest first. */
export function sessionHistories(
  gitDir: string,
  input: { branch?: string; sessions: readonly string[] },
): Map<string, SessionHistory> {
  const branch = input.branch ?? "cfs-status";
  const commits = hasBranch(gitDir, branch)
    ? gitOut(gitDir, ["rev-list", "--first-parent", "--reverse", `refs/heads/${branch}`])
        .split("\n")
        .filter(Boolean)
    : [];
  const specs = commits.flatMap((c) => input.sessions.map((s) => `${c}:sessions/${s}.json`));
  const texts = readObjects(gitDir, specs);
  const histories = new Map<string, SessionHistory>();
  input.sessions.forEach((session, si) => {
    const versions = commits.map((_, ci) => parseRecord(texts[ci * input.sessions.length + si] ?? null));
    histories.set(session, walk(versions));
  });
  return histories;
}

/** The number of status commits on `branch`. */
export function commitCount(gitDir: string, branch = "cfs-status"): number {
  if (!hasBranch(gitDir, branch)) return 0;
  return Number(gitOut(gitDir, ["rev-list", "--count", `refs/heads/${branch}`]).trim());
}

function walk(versions: ReadonlyArray<SessionRecord | null>): SessionHistory {
  const history: SessionHistory = { states: [], backward: 0, vanished: 0 };
  let seen = false;
  let previous: SessionState | null = null;
  for (const record of versions) {
    if (record === null) {
      if (seen && previous !== null) history.vanished += 1;
      previous = null;
      continue;
    }
    seen = true;
    const state = {
      status: record.status.session.status,
      succeeded: String(record.status.session.succeeded),
    };
    if (previous !== null && isBackward(previous, state)) history.backward += 1;
    const last = history.states.at(-1);
    if (last?.status !== state.status || last.succeeded !== state.succeeded) history.states.push(state);
    previous = state;
  }
  return history;
}

function isBackward(before: SessionState, after: SessionState): boolean {
  if ((RANK[after.status] ?? -1) < (RANK[before.status] ?? -1)) return true;
  return before.succeeded !== "none" && after.succeeded !== before.succeeded;
}

function parseRecord(text: string | null): SessionRecord | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as SessionRecord;
  } catch {
    return null;
  }
}

/** Every object reachable from `ref` (commits, trees, records, logs), as one text, for a secrets scan. */
export function reachableObjectsText(gitDir: string, ref = "refs/heads/cfs-status"): string {
  if (!hasBranch(gitDir, ref.replace(/^refs\/heads\//, ""))) return "";
  const ids = gitOut(gitDir, ["rev-list", "--objects", ref])
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((id) => id !== "");
  return readObjects(gitDir, ids)
    .map((text) => text ?? "")
    .join("\n");
}
