/**
 * `sessions logs`: a step's log comes from the local runner's data directory while the run is on
 * this machine (the freshest, whole), else from the status branch (committed when the session
 * completes). `--follow` prints what is new every interval until the session completes.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { SessionRecord } from "../api/index.js";
import { CliError } from "./errors.js";
import type { RepoContext } from "./repo-options.js";
import { findSession, loadSessions } from "./session-source.js";
import { StatusReader } from "./status-reader.js";

/** Inputs of printLogs and followLogs. */
export interface LogsInput {
  context: RepoContext;
  name: string;
  /** One step (`-c`), or null for every step in pipeline order. */
  step: string | null;
}

/** Prints the logs once. */
export async function printLogs(input: LogsInput): Promise<void> {
  const { context, name } = input;
  const { record, reader } = await sessionAndReader(context, name);
  const steps = input.step ? [input.step] : stepOrder(record, reader.logSteps(name));
  for (const step of steps) {
    const text = await readStepLog({ context, reader, record, step });
    if (text === null) {
      throw new CliError(
        `session ${name} has no log for step ${step} (steps: ${steps.join(", ") || "none yet"})`,
      );
    }
    if (!input.step) context.io.stdout.write(`==> ${step} <==\n`);
    context.io.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
  }
}

/** Prints the logs as they grow, until the session completes. */
export async function followLogs(input: LogsInput & { intervalMs: number }): Promise<void> {
  const { context, name } = input;
  const state: FollowState = { printed: new Map(), current: null };
  // The watched branch is read once (to know a session not recorded yet); then only the status branch.
  let { record, reader } = await sessionAndReader(context, name);
  for (;;) {
    await printNew({ ...input, record, reader, state });
    if (record.status.session.status === "complete") return;
    await context.io.sleep(input.intervalMs);
    reader = await StatusReader.open(context.status);
    const next = await reader.session(name);
    if (next === null && record.status.session.status !== "pending") {
      throw new CliError(`session ${name} was deleted while following its logs`);
    }
    record = next ?? record;
  }
}

/** How much of each step's log is printed, and the step whose header was printed last. */
interface FollowState {
  printed: Map<string, number>;
  current: string | null;
}

async function printNew(
  input: LogsInput & { record: SessionRecord; reader: StatusReader; state: FollowState },
): Promise<void> {
  const { context, name, record, reader, state } = input;
  const steps = input.step ? [input.step] : stepOrder(record, reader.logSteps(name));
  for (const step of steps) {
    const text = (await readStepLog({ context, reader, record, step })) ?? "";
    const done = state.printed.get(step) ?? 0;
    if (text.length <= done) continue;
    if (!input.step && state.current !== step) context.io.stdout.write(`==> ${step} <==\n`);
    state.current = step;
    context.io.stdout.write(text.slice(done));
    state.printed.set(step, text.length);
  }
}

async function sessionAndReader(
  context: RepoContext,
  name: string,
): Promise<{ record: SessionRecord; reader: StatusReader }> {
  const { sessions, reader } = await loadSessions(context);
  return { record: findSession(sessions, name), reader };
}

/** Steps in pipeline order (as the record lists them), then any other committed log. */
function stepOrder(record: SessionRecord, committed: string[]): string[] {
  const fromRecord = record.status.steps.map((s) => s.name);
  return [...fromRecord, ...committed.filter((s) => !fromRecord.includes(s))];
}

async function readStepLog(input: {
  context: RepoContext;
  reader: StatusReader;
  record: SessionRecord;
  step: string;
}): Promise<string | null> {
  const live = await liveLog(input.context.config.dataDir, input.record, input.step);
  return live ?? (await input.reader.log(input.record.name, input.step));
}

/** The log in the local runner's data directory (`<data-dir>/runner/runs/<job>/logs/<step>.log`). */
async function liveLog(dataDir: string, record: SessionRecord, step: string): Promise<string | null> {
  const job = record.status.session.job;
  if (!job || step.includes("/") || step.includes("..")) return null;
  return readFile(join(dataDir, "runner", "runs", job, "logs", `${step}.log`), "utf8").catch(() => null);
}
