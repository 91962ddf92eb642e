/**
 * A restart of the controller with the real local runner over a data folder of finished runs, in
 * a fresh process: the runner's recovery (every run directory looked at), the first pass (records
 * and source read, every session planned against what the runner observes), then passes with
 * nothing new, and observe() alone beside the loop it replaced (every state.json read one after
 * another on every pass). Prints one JSON line.
 */
import { pino, type Logger } from "pino";
import type { RunObservation } from "../../src/api/index.js";
import { Controller, type PassReport } from "../../src/controller/index.js";
import { createLocalSource } from "../../src/git/local-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import { createLocalRunner } from "../../src/runners/local/index.js";
import { listJobs, readState, runPaths } from "../../src/runners/local/run-files.js";
import { snapshotEnvironment } from "../../src/cli/environment.js";
import { peakRssKiB } from "../lib/peak-memory.js";
import { RecordingRunner } from "../lib/recording-runner.js";
import { StartTiming } from "../lib/start-timing.js";
import { measureCosts } from "../scenarios/poll.js";

/** What the parent passes in argv[2]. */
export interface LocalRunnerInput {
  path: string;
  statusBranch: string;
  /** The runner's data folder, holding `runs/`. */
  dataDir: string;
  /** Passes with nothing new measured after the first. */
  idlePasses: number;
}

/** What this process prints (ms). */
export interface LocalRunnerOutput {
  /** createLocalRunner: recovery of every run directory. */
  recoverMs: number;
  /** From modules loaded to the end of the first pass (recovery included). */
  restartMs: number;
  /** Runs the first pass saw, starts and status commits it made (0, 0 and null when all matched). */
  observed: number;
  starts: number;
  statusCommit: string | null;
  idle: { wall: number[]; cpu: number[] };
  observe: { wall: number[]; cpu: number[] };
  /** The same passes with a runner answering the same observations from a Map (no runner cost). */
  inMemory: { wall: number[]; cpu: number[] };
  /** The loop observe() was before: every state.json read one after another. */
  readEvery: { wall: number[]; cpu: number[] };
  maxRssKiB: number;
}

/** The old observe(): list runs/, read every state.json in turn. */
async function readEveryState(runsDir: string): Promise<number> {
  let read = 0;
  for (const job of await listJobs(runsDir)) if ((await readState(runPaths(runsDir, job))) !== null) read++;
  return read;
}

/** Idle passes of a second controller whose runner reports `observed` from memory. */
async function idlePassesInMemory(input: {
  input: LocalRunnerInput;
  observed: Map<string, RunObservation>;
  log: Logger;
}): Promise<{ wall: number[]; cpu: number[] }> {
  const { log } = input;
  const source = await createLocalSource({ path: input.input.path, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: input.input.statusBranch, log });
  const runner = new RecordingRunner();
  runner.observe = () => Promise.resolve(new Map(input.observed));
  const controller = new Controller({
    source,
    status,
    runner,
    log,
    progressIntervalMs: 0,
    resyncMs: 3_600_000,
  });
  try {
    await controller.pass();
    return await measureCosts(input.input.idlePasses, () => controller.pass());
  } finally {
    await controller.stop();
    await Promise.all([source.close(), status.close()]);
  }
}

async function main(): Promise<void> {
  const loaded = performance.now();
  const input = JSON.parse(process.argv[2] ?? "{}") as LocalRunnerInput;
  const log = pino({ level: "silent" });
  const runner = await createLocalRunner({ dataDir: input.dataDir, log, maxConcurrent: 10 });
  const recoverMs = performance.now() - loaded;
  const source = await createLocalSource({ path: input.path, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: input.statusBranch, log });
  const reports: PassReport[] = [];
  const timing = new StartTiming(runner);
  const controller = new Controller({
    source,
    status,
    runner: timing,
    log,
    progressIntervalMs: 0,
    resyncMs: 3_600_000,
    onPass: (report) => reports.push(report),
  });
  await controller.pass();
  const restartMs = performance.now() - loaded;
  if (controller.error) throw controller.error instanceof Error ? controller.error : new Error("pass failed");
  const observed = (await runner.observe()).size;
  const maxRssKiB = peakRssKiB(); // before the baseline below, which makes garbage of 10,000 reads a pass
  const idle = await measureCosts(input.idlePasses, () => controller.pass());
  const observe = await measureCosts(input.idlePasses, () => runner.observe());
  const inMemory = await idlePassesInMemory({ input, observed: await runner.observe(), log });
  const readEvery = await measureCosts(input.idlePasses, () => readEveryState(`${input.dataDir}/runs`));
  const output: LocalRunnerOutput = {
    recoverMs,
    restartMs,
    observed,
    starts: timing.starts,
    statusCommit: reports[0]?.statusCommit ?? null,
    idle,
    observe,
    inMemory,
    readEvery,
    maxRssKiB,
  };
  if (reports.slice(1).some((report) => report.moved || report.statusCommit))
    throw new Error("an idle pass did work");
  await controller.stop();
  await Promise.all([runner.close(), source.close(), status.close()]);
  process.stdout.write(`${JSON.stringify(output)}\n`);
}

snapshotEnvironment(); // as the CLI does at start (src/cli/environment.ts)
await main();
