/**
 * Polling a remote over HTTP (the test suite's git http-backend server, in its own process) when
 * nothing was pushed, with the controller already synced to the big repository. Two figures: the
 * watch loop's tick (one ref request; a pass runs only if the tip moved), and a whole pass with
 * nothing new (what the resync timer runs every 60 s: ref request, observe, plan of every session).
 */
import { join } from "node:path";
import { pino } from "pino";
import { createRemoteProbe } from "../../src/git/remote-probe.js";
import type { BenchContext } from "../lib/context.js";
import { git } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { wireController } from "../lib/wire.js";

/** Wall and CPU milliseconds of repeated calls. */
interface Costs {
  wall: number[];
  cpu: number[];
}

/** Runs `work` `runs` times, measuring wall time and this process's CPU time (user + system). */
export async function measureCosts(runs: number, work: () => Promise<unknown>): Promise<Costs> {
  const costs: Costs = { wall: [], cpu: [] };
  for (let i = 0; i < runs; i++) {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await work();
    costs.wall.push(performance.now() - started);
    const used = process.cpuUsage(cpu);
    costs.cpu.push((used.user + used.system) / 1000);
  }
  return costs;
}

/** Rows: watch tick, resync pass. */
export async function pollRows(ctx: BenchContext): Promise<Row[]> {
  await ctx.bigRepo();
  const server = await ctx.gitServer();
  const url = server.url("big.git");
  const wired = await wireController({
    where: { kind: "remote", url, cacheDir: join(ctx.options.dataDir, "poll-cache") },
  });
  try {
    ctx.progress("poll: first pass (fetch and read everything)");
    await wired.controller.pass();
    const probe = createRemoteProbe({ url, credentials: null, log: pino({ level: "silent" }) });
    const runs = ctx.runs(20);
    await probe("main"); // warm up the HTTP client
    const tick = await measureCosts(runs, () => probe("main"));
    const pass = await measureCosts(runs, () => wired.controller.pass());
    if (wired.reports.slice(1).some((report) => report.moved || report.statusCommit))
      throw new Error("an idle pass did work");
    const lsRemote = await measureCosts(runs, () => git(["ls-remote", url, "refs/heads/main"]));
    const baseline = { label: "`git ls-remote`", figure: measured(lsRemote.wall) };
    const n = ctx.options.sessions;
    return [
      {
        scenario: `poll with no new commit, remote over HTTP, ${count(n)} sessions: watch tick (one ref request, no pass)`,
        target: "< 20 ms of work",
        limit: 20,
        figure: measured(tick.cpu),
        baseline,
        note: `Figure: CPU time of the controller process (the server runs in another process). Wall time, server included: ${text(tick.wall)}.`,
      },
      {
        scenario: `poll with no new commit: a whole pass (resync: ref request, observe, plan of ${count(n)} sessions, no commit)`,
        target: "(< 20 ms of work)",
        limit: 20,
        figure: measured(pass.cpu),
        baseline,
        note: `Figure: CPU time of the controller process. Wall time: ${text(pass.wall)}.`,
      },
    ];
  } finally {
    await wired.close();
  }
}

function text(samples: number[]): string {
  const figure = measured(samples);
  if ("notMeasured" in figure) return figure.notMeasured;
  const { median, p10, p90 } = figure.summary;
  return `median ${median.toFixed(1)} ms (p10–p90 ${p10.toFixed(1)}–${p90.toFixed(1)})`;
}
