/**
 * Status branch growth: a `cfs-status` with the history of `days` days at 1,000 sessions a day,
 * about 4 status commits per session (bench/lib/generate-history.ts), under a tip of 999 complete
 * records and one session to run. Measured at each history length: a pass that changes nothing,
 * a pass with one status commit, the packed size of the repository, and one session's audit trail
 * (`git log -- sessions/<name>.json`) without and with a commit-graph with changed-path Bloom
 * filters, beside `git log -1`.
 */
import { readFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { RunObservation } from "../../src/api/index.js";
import { startRun, startStep } from "../../src/api/observation.js";
import { createBenchRepo } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { completedRecordFiles } from "../lib/generate.js";
import { historySessionName, writeHistory } from "../lib/generate-history.js";
import { git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { COMMIT_GRAPH_MAX_NEW_FILTERS } from "../../src/git/commit-graph.js";
import { wireController, type Wired } from "../lib/wire.js";

const SESSIONS_PER_DAY = 1000;
const COMMITS_PER_SESSION = 4;
const TTL_DAYS = 7;
const LIVE = 1000;

/** Rows: for each history length, pass cost, size and audit-trail cost. */
export async function growthRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const days of ctx.options.growthDays ?? [7, 14]) rows.push(...(await measureHistory(ctx, days)));
  return rows;
}

async function measureHistory(ctx: BenchContext, days: number): Promise<Row[]> {
  const gitDir = join(ctx.options.dataDir, `growth-${days}.git`);
  const shape = { sessions: LIVE, configurations: ctx.options.configurations };
  const repo = await createBenchRepo({ gitDir, shape, recorded: 0, logsPerSession: 0 });
  const tip = completedRecordFiles({
    shape,
    count: LIVE - 1,
    sourceCommit: repo.mainTip,
    completedAt: new Date(Date.now() - 3_600_000),
    logsPerSession: 0,
  });
  const template = [...tip.values()][0];
  if (!template) throw new Error("no record to copy");
  ctx.progress(`growth: fast-import of ${days} days of history`);
  let commits = 0;
  const buildMs = await timed(async () => {
    commits = await writeHistory({
      gitDir,
      branch: "cfs-status",
      days,
      sessionsPerDay: SESSIONS_PER_DAY,
      commitsPerSession: COMMITS_PER_SESSION,
      ttlDays: TTL_DAYS,
      template,
      tip,
      start: Math.floor(Date.now() / 1000) - days * 86_400 - 7200,
    });
  });
  ctx.progress(`growth: ${count(commits)} commits in ${Math.round(buildMs)} ms`);
  const label = `${days} days (${count(commits)} commits)`;
  const passes = await measurePasses(ctx, gitDir);
  const sizeMiB = await packedSize(gitDir);
  const audit = await measureAuditTrail(ctx, { gitDir, days });
  return [
    {
      scenario: `status branch of ${label}: a pass that changes nothing, ${count(LIVE)} sessions (CPU)`,
      target: "flat",
      limit: null,
      figure: measured(passes.idle),
      baseline: { label: "`git log -1 cfs-status`", figure: measured(audit.tip) },
      note: `History: ${count(SESSIONS_PER_DAY)} sessions a day, ${COMMITS_PER_SESSION} commits each (one record changed per commit), records deleted after ${TTL_DAYS} days; fast-import built it in ${Math.round(buildMs / 1000)} s. Pass figures: CPU time of the controller process (git child processes not counted).`,
    },
    {
      scenario: `status branch of ${label}: a pass with one status commit (CPU)`,
      target: "flat",
      limit: null,
      figure: measured(passes.commit),
      baseline: null,
    },
    {
      scenario: `status branch of ${label}: repository size after \`git repack -a -d\``,
      target: "—",
      limit: null,
      figure: measured([sizeMiB], "MiB"),
      baseline: null,
    },
    {
      scenario: `status branch of ${label}: one session's audit trail, \`git log -- sessions/<name>.json\`, with the commit-graph the controller keeps`,
      target: "—",
      limit: null,
      figure: measured(audit.kept),
      baseline: { label: "the same without a commit-graph", figure: measured(audit.path) },
      note: `The controller's commit-graph: ${audit.keptLayers} layer(s), written in the background from its first status commit of the passes above (at most ${count(COMMIT_GRAPH_MAX_NEW_FILTERS)} new Bloom filters a write). After a full \`git commit-graph write --reachable --changed-paths\`: ${measuredText(audit.bloom)}.`,
    },
  ];
}

async function measurePasses(
  ctx: BenchContext,
  gitDir: string,
): Promise<{ idle: number[]; commit: number[] }> {
  const wired = await wireController({ where: { kind: "local", path: gitDir } });
  try {
    await wired.controller.pass();
    const live = wired.runner.names();
    if (live.length !== 1) throw new Error(`expected 1 run, got ${live.length}`);
    const idle: number[] = [];
    for (let run = 0; run < ctx.runs(10); run++) idle.push(await cpuTimed(() => wired.controller.pass()));
    const commit: number[] = [];
    for (let run = 0; run < ctx.runs(5); run++) {
      wired.runner.update(live, (obs) => progress(obs, run));
      commit.push(await cpuTimed(() => wired.controller.pass()));
      expectCommit(wired);
    }
    return { idle, commit };
  } finally {
    await wired.close();
  }
}

/** CPU milliseconds of this process (user + system) that `work` takes: less noisy than wall time on a shared machine. */
async function cpuTimed(work: () => Promise<unknown>): Promise<number> {
  const started = process.cpuUsage();
  await work();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000;
}

function expectCommit(wired: Wired): void {
  if (!wired.reports.at(-1)?.statusCommit) throw new Error("the pass made no status commit");
}

/** Run `run` of the progress: the run starts, then one more step starts each time. */
function progress(obs: RunObservation, run: number): RunObservation {
  const started = startRun(obs, "2026-01-01T00:00:00Z");
  const step = started.steps[run % started.steps.length];
  return step ? startStep(started, step.name, `2026-01-01T00:0${run}:00Z`) : started;
}

async function packedSize(gitDir: string): Promise<number> {
  await git(["repack", "-a", "-d", "-q"], { gitDir });
  const out = (await git(["count-objects", "-v"], { gitDir })).toString();
  const kib = Number(/size-pack: (\d+)/.exec(out)?.[1] ?? Number.NaN);
  return kib / 1024;
}

async function measureAuditTrail(
  ctx: BenchContext,
  input: { gitDir: string; days: number },
): Promise<{ tip: number[]; kept: number[]; path: number[]; bloom: number[]; keptLayers: number }> {
  const { gitDir } = input;
  const path = `sessions/${historySessionName(Math.floor(input.days / 2), 500)}.json`;
  const logPath = async (): Promise<void> => {
    const out = (await git(["log", "--format=%H", "cfs-status", "--", path], { gitDir })).toString();
    const found = out.trim().split("\n").length;
    if (found !== COMMITS_PER_SESSION + 1)
      throw new Error(`${path}: ${found} commits, not ${COMMITS_PER_SESSION + 1}`);
  };
  const times = async (work: () => Promise<unknown>): Promise<number[]> => {
    const out: number[] = [];
    for (let run = 0; run < ctx.runs(3); run++) out.push(await timed(work));
    return out;
  };
  // First with the commit-graph the controller kept during the passes (written in the background).
  const keptLayers = commitGraphLayers(gitDir);
  const kept = await times(logPath);
  await rm(join(gitDir, "objects", "info", "commit-graphs"), { recursive: true, force: true });
  await rm(join(gitDir, "objects", "info", "commit-graph"), { force: true });
  const tip = await times(() => git(["log", "-1", "--format=%H", "cfs-status"], { gitDir }));
  const plain = await times(logPath);
  await git(["commit-graph", "write", "--reachable", "--changed-paths"], { gitDir });
  const bloom = await times(logPath);
  return { tip, kept, path: plain, bloom, keptLayers };
}

/** Layers of the split commit-graph in `gitDir` (0: none). */
function commitGraphLayers(gitDir: string): number {
  try {
    const chain = readFileSync(
      join(gitDir, "objects", "info", "commit-graphs", "commit-graph-chain"),
      "utf8",
    );
    return chain.split("\n").filter(Boolean).length;
  } catch {
    return 0;
  }
}

function measuredText(samples: number[]): string {
  const figure = measured(samples);
  if ("notMeasured" in figure) return figure.notMeasured;
  return `median ${figure.summary.median.toFixed(0)} ms (p10–p90 ${figure.summary.p10.toFixed(0)}–${figure.summary.p90.toFixed(0)})`;
}
