/**
 * The logs of runs about to be removed because their session was deleted before it completed.
 * A session's logs are committed to the status branch when it completes; one deleted while it runs
 * never completes, and removing its run would lose them. They are committed first (one commit),
 * then removed with the record, so `git log cfs-status -- logs/<name>/` keeps them.
 */
import { isSettledSession, sessionLogPath, type RunObservation } from "../api/index.js";
import type { PlanOutput, RecordedState } from "../plan/index.js";
import type { Runner } from "../runners/types.js";

/** Status branch log files (path -> content) of the sessions `plan` deletes before they completed. */
export async function logsOfDeleted(input: {
  plan: PlanOutput;
  recorded: RecordedState;
  observed: ReadonlyMap<string, RunObservation>;
  runner: Pick<Runner, "readLog">;
  /** Cuts a log to what the status branch keeps. */
  shorten: (text: string) => string;
}): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const action of input.plan.actions) {
    if (action.type !== "remove" || action.why !== "deleted" || action.job === "") continue;
    const record = input.recorded.sessions.get(action.name);
    if (record?.status.session.status === "complete") continue; // its logs were committed when it completed
    const recorded = record && !isSettledSession(record) ? record.status.steps : [];
    const steps = input.observed.get(action.name)?.steps ?? recorded;
    await readLogs({ ...input, name: action.name, job: action.job, steps: steps.map((s) => s.name), out });
  }
  return out;
}

async function readLogs(input: {
  runner: Pick<Runner, "readLog">;
  shorten: (text: string) => string;
  name: string;
  job: string;
  steps: string[];
  out: Map<string, Buffer>;
}): Promise<void> {
  for (const step of input.steps) {
    const text = await input.runner.readLog(input.job, step).catch(() => null);
    if (text) input.out.set(sessionLogPath(input.name, step), Buffer.from(input.shorten(text)));
  }
}
