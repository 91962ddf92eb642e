/**
 * A run of the local runner on this machine, as it is now: the runner writes each step's start and
 * end to `<data-dir>/runner/runs/<job>/state.json` at once, while the controller commits progress
 * to the status branch at most every few seconds. Followers (`--wait`, `sessions wait`) lay the
 * live steps and layers over the committed record, so they show each step as it is recorded.
 */
import { join } from "node:path";
import type { SessionRecord } from "../api/index.js";
import { isSafeJobName, readState, runPaths } from "../runners/local/run-files.js";

/** The record with the steps and layers of its live local run, if there is one and it is further on. */
export async function withLiveRun(
  dataDir: string | null,
  record: SessionRecord | null,
): Promise<SessionRecord | null> {
  const job = record?.status.session.job;
  if (
    dataDir === null ||
    !record ||
    !job ||
    record.status.session.status !== "running" ||
    !isSafeJobName(job)
  )
    return record;
  const state = await readState(runPaths(join(dataDir, "runner", "runs"), job));
  const live = state?.observation;
  if (!live || live.job !== job || live.steps.length < record.status.steps.length) return record;
  return { ...record, status: { ...record.status, steps: live.steps, layers: live.layers } };
}
