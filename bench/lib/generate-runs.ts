/**
 * Run directories of the local runner for the generated sessions, as the runner leaves them once
 * every run has finished: `runs/<job>/` with spec.json, state.json (the complete observation the
 * status branch records) and an empty logs/ folder.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { processIdentity } from "../../src/runners/local/processes.js";
import {
  blobId,
  completedObservation,
  runSpecOf,
  sessionManifest,
  sessionYaml,
  type RepoShape,
} from "./generate.js";

/** Inputs of writeFinishedRuns. */
export interface FinishedRunsInput {
  /** The runner's data folder (runs go in `<dataDir>/runs/`). */
  dataDir: string;
  shape: RepoShape;
  /** Sessions 0 .. count - 1 get a run. */
  count: number;
  sourceCommit: string;
  /** When they completed: the time of their records on the status branch. */
  completedAt: Date;
}

/** Writes the run directories; returns the runs folder. */
export async function writeFinishedRuns(input: FinishedRunsInput): Promise<string> {
  const runsDir = join(input.dataDir, "runs");
  mkdirSync(runsDir, { recursive: true });
  const runner = { instance: "bench-generator", ...(await processIdentity(process.pid)) };
  for (let s = 0; s < input.count; s++) {
    const session = sessionManifest(s, input.shape);
    const blob = blobId(Buffer.from(sessionYaml(s, input.shape)));
    const spec = runSpecOf(session, { blob, sourceCommit: input.sourceCommit });
    const observation = completedObservation(spec, input.completedAt);
    const dir = join(runsDir, spec.job);
    mkdirSync(join(dir, "logs"), { recursive: true });
    writeFileSync(join(dir, "spec.json"), JSON.stringify(spec));
    const state = { ...observation, runner, created: input.completedAt.getTime(), failure: null };
    writeFileSync(join(dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
  }
  return runsDir;
}
