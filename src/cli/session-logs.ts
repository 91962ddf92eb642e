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

/** Prints the logs once: one step (`-c`), or every step that ran, each under a header. */
export async function printLogs(input: LogsInput): Promise<void> {
  const { context, name } = input;
  const { record, reader } = await sessionAndReader(context, name);
  const known = stepOrder(record, reader.logSteps(name));
  if (input.step !== null) assertKnownStep({ name, step: input.step, known, record });
  const steps = input.step ? [input.step] : known;
  let printed = 0;
  for (const step of steps) {
    const text = await readStepLog({ context, reader, record, step });
    if (text === null) {
      // A step that never ran (after a failed layer, or not yet) has no log: skip it, unless asked for.
      if (input.step === null) continue;
      throw new CliError(`session ${name} has no log for step ${step} yet (${ranSummary(record, known)})`);
    }
    if (!input.step) context.io.stdout.write(`==> ${step} <==\n`);
    context.io.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
    printed += 1;
  }
  if (printed === 0 && input.step === null)
    context.io.stderr.write(`session ${name} has no step logs yet (${record.status.session.status})\n`);
}

/** The step pattern of a session whose steps are not known yet (pending). */
const STEP_PATTERN = /^(?:git-clone-\d+|git-clone-hosts|inventory|ansible-\d+|teardown)$/;

/**
 * `-c STEP` must name one of the session's steps (once they are known: running or complete), else
 * a step name of the pipeline; the error lists the real steps.
 */
export function assertKnownStep(input: {
  name: string;
  step: string;
  known: readonly string[];
  record: SessionRecord;
}): void {
  const { name, step, known } = input;
  if (known.length > 0 ? known.includes(step) : STEP_PATTERN.test(step)) return;
  const steps =
    known.length > 0 ? known.join(", ") : "git-clone-<i>, git-clone-hosts, inventory, ansible-<i>, teardown";
  throw new CliError(`session ${name} has no step ${step}: its steps are ${steps}`);
}

function ranSummary(record: SessionRecord, known: readonly string[]): string {
  const ran = record.status.steps.filter((s) => s.status !== "pending" && s.status !== "skipped");
  const names = ran.length > 0 ? ran.map((s) => s.name) : known;
  return names.length > 0
    ? `steps that ran: ${names.join(", ")}`
    : `the session is ${record.status.session.status}`;
}

/** Prints the logs as they grow, until the session completes. */
export async function followLogs(input: LogsInput & { intervalMs: number }): Promise<void> {
  const { context, name } = input;
  const state: FollowState = { printed: new Map(), current: null };
  // The watched branch is read once (to know a session not recorded yet); then only the status branch.
  let { record, reader } = await sessionAndReader(context, name);
  for (;;) {
    const known = stepOrder(record, reader.logSteps(name));
    if (input.step !== null) assertKnownStep({ name, step: input.step, known, record });
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
