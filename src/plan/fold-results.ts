/**
 * The one summariser of a pass: the plan's records, completed with what happened when its actions
 * were applied. Pure: the controller hands in each action's result and `now`, and commits what
 * comes out; it never edits the plan's output itself.
 */
import { isSettledSession, type FailureClass, type RunObservation } from "../api/index.js";
import { decideFailure } from "./decide-failure.js";
import { formatTime } from "./duration.js";
import type { Action, PlanOutput, RecordedState } from "./plan-pass.js";
import { completeRecord } from "./records.js";

/** What applying one action did: done, or failed with the failure's class and message. */
export type ActionResult =
  { action: Action; ok: true } | { action: Action; ok: false; failure: FailureClass; message: string };

/** Inputs of foldResults. */
export interface FoldInput {
  plan: PlanOutput;
  results: readonly ActionResult[];
  recorded: RecordedState;
  now: Date;
}

/**
 * The plan completed with its results:
 * - a start that failed transiently leaves the session pending (the next pass starts it again);
 * - a start that failed for good (stalling, or the session's own) completes the session
 *   `succeeded: false` with the reason;
 * - a removal that failed keeps the session's record (and writes no expired record), so the next
 *   pass plans the removal again until it is done.
 */
export function foldResults(input: FoldInput): PlanOutput {
  const out: PlanOutput = {
    actions: input.plan.actions,
    sessions: new Map(input.plan.sessions),
    problems: input.plan.problems,
    expired: new Map(input.plan.expired),
    completed: [...input.plan.completed],
  };
  for (const result of input.results) {
    if (result.ok) continue;
    if (result.action.type === "remove") keepForRetry(out, result.action);
    else if (decideFailure(result.failure, "start").failSession) failStart(out, { ...input, result });
  }
  return out;
}

function keepForRetry(out: PlanOutput, action: Extract<Action, { type: "remove" }>): void {
  if (action.why === "orphan") return;
  if (out.sessions.get(action.name) === null) out.sessions.delete(action.name);
  out.expired.delete(action.name);
}

function failStart(
  out: PlanOutput,
  input: FoldInput & { result: Extract<ActionResult, { ok: false }> },
): void {
  const { action, message } = input.result;
  if (action.type !== "start") return;
  const name = action.spec.name;
  const record = out.sessions.get(name) ?? input.recorded.sessions.get(name);
  if (!record || isSettledSession(record) || record.status.session.status === "complete") return;
  const reason = `the runner could not start the session: ${message}`;
  out.sessions.set(name, completeRecord(record, { succeeded: "false", reason, now: formatTime(input.now) }));
  if (!out.completed.includes(name)) out.completed.push(name);
}

/**
 * The actions in the order they must be applied: removals of runs that are not running (queued,
 * done, unknown) first, then removals of running runs, then starts. A removal that frees a slot
 * of the runner must never let a queued run of a deleted session start in it, and no start is
 * issued before the removals of the same pass.
 */
export function orderActions(
  actions: readonly Action[],
  observed: ReadonlyMap<string, RunObservation>,
): Action[] {
  const rank = (action: Action): number => {
    if (action.type === "start") return 2;
    const run = observed.get(action.name);
    return run?.job === action.job && run.phase === "running" ? 1 : 0;
  };
  return actions
    .map((action, index) => ({ action, index, rank: rank(action) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map(({ action }) => action);
}
