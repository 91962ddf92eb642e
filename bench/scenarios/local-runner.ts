/**
 * The real local runner with 10,000 finished runs on disk (one per session of the big repository,
 * each complete as its record on the status branch says): a restart (the runner's recovery, then
 * the first pass) and passes with nothing new, each in a fresh process. Baselines in the same run:
 * the same restart with the recording runner (no runs on disk), and the work observe() did before
 * it kept finished runs (every state.json read one after another, on every pass).
 */
import { join } from "node:path";
import type { ColdStartOutput } from "../child/cold-start.js";
import type { LocalRunnerInput, LocalRunnerOutput } from "../child/local-runner.js";
import type { BenchContext } from "../lib/context.js";
import { writeFinishedRuns } from "../lib/generate-runs.js";
import { runChild } from "../lib/processes.js";
import { count, measured, type Row } from "../lib/report.js";

const MIB = 1024;

/** Rows: restart with the local runner, a pass with nothing new. */
export async function localRunnerRows(ctx: BenchContext): Promise<Row[]> {
  const repo = await ctx.copyOfBig("local-runner");
  const n = ctx.options.sessions;
  const dataDir = join(ctx.options.dataDir, "local-runner-data");
  ctx.progress(`local runner: writing ${count(n)} finished run directories`);
  await writeFinishedRuns({
    dataDir,
    shape: repo.shape,
    count: n,
    sourceCommit: repo.mainTip,
    completedAt: repo.completedAt ?? new Date(),
  });
  const outputs: LocalRunnerOutput[] = [];
  const recording: number[] = [];
  const input: LocalRunnerInput = { path: repo.gitDir, statusBranch: "cfs-status", dataDir, idlePasses: 20 };
  // The run directories were written without the index of finished runs: the first restart reads
  // every state.json and writes the index, which the restarts measured below read.
  ctx.progress("local runner: first restart (no index of finished runs yet)");
  const first = await runChild<LocalRunnerOutput>("local-runner", input);
  for (let i = 0; i < ctx.runs(3); i++) {
    ctx.progress(`local runner: restart ${i + 1}`);
    const output = await runChild<LocalRunnerOutput>("local-runner", input);
    // The first pass commits the 100 configuration records the generator leaves out (as with the recording runner).
    if (output.starts > 0 || output.observed !== n)
      throw new Error(`the restart did work: ${JSON.stringify({ ...output, idle: undefined })}`);
    outputs.push(output);
    recording.push(
      (await runChild<ColdStartOutput>("cold-start", { path: repo.gitDir, statusBranch: "cfs-status" }))
        .passMs,
    );
  }
  const all = (pick: (o: LocalRunnerOutput) => number[]): number[] => outputs.flatMap(pick);
  return [
    {
      scenario: `restart with the local runner and ${count(n)} finished runs on disk: recovery and first pass, to all known and planned`,
      target: "< 2 s",
      limit: 2000,
      figure: measured(outputs.map((o) => o.restartMs)),
      baseline: {
        label: "the same restart with the recording runner (no runs on disk)",
        figure: measured(recording),
      },
      note: `Fresh process each run, from modules loaded: the runner's recovery (runs/ listed, each finished run taken from the index after a stat of its state.json; ${text(outputs.map((o) => o.recoverMs))}), then the first pass, which observes the ${count(n)} runs from memory. The first restart, before the index existed (every state.json read, the index written): ${Math.round(first.restartMs)} ms, of it recovery ${Math.round(first.recoverMs)} ms. Peak memory over the restart ${text(
        outputs.map((o) => o.maxRssKiB / MIB),
        "MiB",
      )}.`,
    },
    {
      scenario: `a pass with nothing new, local runner with ${count(n)} finished runs on disk (CPU)`,
      target: "< 20 ms of work",
      limit: 20,
      figure: measured(all((o) => o.idle.cpu)),
      baseline: {
        label: "what observe() did before: every state.json read one after another (CPU)",
        figure: measured(all((o) => o.readEvery.cpu)),
      },
      note: `Figure: CPU time of the controller process for a whole pass (tip check, observe, plan of every session, no commit); wall ${text(all((o) => o.idle.wall))}. observe() alone (a stat of runs/, finished runs from memory): CPU ${text(all((o) => o.observe.cpu))}. The same passes with a runner that answers the same ${count(n)} observations from a Map (the controller's own share): CPU ${text(all((o) => o.inMemory.cpu))}. The baseline's wall time: ${text(all((o) => o.readEvery.wall))}.`,
    },
  ];
}

function text(samples: number[], unit = "ms"): string {
  const figure = measured(samples, unit);
  if ("notMeasured" in figure) return figure.notMeasured;
  const { median, p10, p90 } = figure.summary;
  return `median ${median.toFixed(1)} ${unit} (p10–p90 ${p10.toFixed(1)}–${p90.toFixed(1)})`;
}
