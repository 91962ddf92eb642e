/**
 * One cold start in a fresh process (so nothing is cached or warmed up): wire the controller on a
 * local repository, run its first pass, and print one JSON line with the timings and the process's
 * peak memory. Run by the bench as `node dist/bench/child/cold-start.js '<json>'`.
 */
import { peakRssKiB } from "../lib/peak-memory.js";
import { wireController } from "../lib/wire.js";
import { snapshotEnvironment } from "../../src/cli/environment.js";

/** What the parent passes in argv[2]. */
export interface ColdStartInput {
  path: string;
  statusBranch: string;
}

/** What this process prints (times in ms since the modules were loaded, except processMs). */
export interface ColdStartOutput {
  /** From process start (performance.timeOrigin) to the end of the first pass. */
  processMs: number;
  /** From modules loaded to the end of the first pass (source, store and controller created, pass run). */
  passMs: number;
  /** From modules loaded to the first and the last runner start (null when nothing was started). */
  firstStartMs: number | null;
  lastStartMs: number | null;
  sessions: number;
  starts: number;
  statusCommit: string | null;
  /** Peak resident set size of this process (KiB): VmHWM, see peakRssKiB. */
  maxRssKiB: number;
}

async function main(): Promise<void> {
  const loaded = performance.now();
  const input = JSON.parse(process.argv[2] ?? "{}") as ColdStartInput;
  const wired = await wireController({
    where: { kind: "local", path: input.path },
    statusBranch: input.statusBranch,
  });
  await wired.controller.pass();
  const ended = performance.now();
  const error = wired.controller.error;
  if (error instanceof Error) throw error;
  if (error) throw new Error("the first pass failed");
  const starts = [...wired.runner.startedAt.values()];
  const output: ColdStartOutput = {
    processMs: ended,
    passMs: ended - loaded,
    firstStartMs: starts.length > 0 ? Math.min(...starts) - loaded : null,
    lastStartMs: starts.length > 0 ? Math.max(...starts) - loaded : null,
    sessions: wired.controller.records.sessions.size,
    starts: starts.length,
    statusCommit: wired.reports[0]?.statusCommit ?? null,
    maxRssKiB: peakRssKiB(),
  };
  await wired.close();
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

snapshotEnvironment(); // as the CLI does at start (src/cli/environment.ts)
await main();
