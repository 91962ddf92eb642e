/**
 * 1,000 session records change (the runner reports progress of 1,000 running sessions) and the
 * controller writes one status commit and pushes it to the remote over HTTP. Measured with 1,000
 * and with 10,000 sessions already on the status branch: the cost should follow the change.
 */
import { join } from "node:path";
import type { RunObservation } from "../../src/api/index.js";
import { startRun, startStep } from "../../src/api/observation.js";
import { createBenchRepo } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { completedRecordFiles } from "../lib/generate.js";
import { commitFiles, git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { wireController, type Wired } from "../lib/wire.js";

const CHANGES = 1000;

/** Rows: one per branch size. */
export async function statusCommitRows(ctx: BenchContext): Promise<Row[]> {
  const rows: Row[] = [];
  for (const total of new Set([CHANGES, ctx.options.sessions])) rows.push(await measureBranch(ctx, total));
  return rows;
}

async function measureBranch(ctx: BenchContext, total: number): Promise<Row> {
  const name = `status-${total}.git`;
  ctx.progress(`status: generating a repository of ${total} sessions, ${total - CHANGES} with records`);
  const repo = await createBenchRepo({
    gitDir: join(ctx.serverRoot, name),
    shape: { sessions: total, configurations: ctx.options.configurations },
    recorded: total - CHANGES,
    logsPerSession: ctx.options.logsPerSession,
  });
  const server = await ctx.gitServer();
  const url = server.url(name);
  const wired = await wireController({
    where: { kind: "remote", url, cacheDir: join(ctx.options.dataDir, `cache-${total}`) },
  });
  try {
    ctx.progress(`status: first pass on ${total} sessions (starts ${CHANGES})`);
    await wired.controller.pass();
    const live = wired.runner.names();
    if (live.length !== CHANGES) throw new Error(`expected ${CHANGES} runs, got ${live.length}`);
    const samples: number[] = [];
    const baseline: number[] = [];
    for (let run = 0; run < ctx.runs(5); run++) {
      ctx.progress(`status: ${CHANGES} changes on a branch of ${total}, run ${run + 1}`);
      wired.runner.update(live, (obs) => progress(obs, run));
      samples.push(await timed(() => wired.controller.pass()));
      await expectOneCommitOf(wired, { url, gitDir: repo.gitDir });
      const files = baselineFiles(run);
      baseline.push(await timed(() => pushWithGitCli({ wired, url, run, files })));
    }
    const row: Row = {
      scenario: `${count(CHANGES)} session status changes, ${count(total)} sessions on the branch, to one status commit pushed`,
      target: "< 1 s",
      limit: 1000,
      figure: measured(samples),
      baseline: {
        label: `\`git fast-import\` of ${count(CHANGES)} records + \`git push\``,
        figure: measured(baseline),
      },
    };
    if (total !== CHANGES) {
      row.note = `A whole pass: observe, plan of all ${count(total)} sessions, build the commit of the ${count(CHANGES)} changed records (fast-import, only the changed paths), push over HTTP with --force-with-lease.`;
    }
    return row;
  } finally {
    await wired.close();
  }
}

/** Run `run` of the progress: the run starts, then one more step starts each time. */
function progress(obs: RunObservation, run: number): RunObservation {
  const started = startRun(obs, "2026-01-01T00:00:00Z");
  const step = started.steps[run % started.steps.length];
  return step ? startStep(started, step.name, `2026-01-01T00:0${run}:00Z`) : started;
}

/** The pass made exactly one commit, on the server, changing CHANGES records. */
async function expectOneCommitOf(wired: Wired, target: { url: string; gitDir: string }): Promise<void> {
  const commit = wired.reports.at(-1)?.statusCommit;
  if (!commit) throw new Error("the pass made no status commit");
  const remote = (await git(["ls-remote", target.url, "refs/heads/cfs-status"])).toString().split("\t")[0];
  if (remote !== commit) throw new Error(`the server's cfs-status is ${remote}, not ${commit}`);
  const changed = await git(["diff-tree", "--no-commit-id", "--name-only", "-r", `${commit}^`, commit], {
    gitDir: target.gitDir,
  });
  const count = changed.toString().trim().split("\n").length;
  if (count !== CHANGES) throw new Error(`the status commit changed ${count} files, not ${CHANGES}`);
}

/** CHANGES records of the same shape and size as the controller's, different in each run. */
function baselineFiles(run: number): Map<string, Buffer> {
  return completedRecordFiles({
    shape: { sessions: CHANGES, configurations: 100 },
    count: CHANGES,
    sourceCommit: `${"0".repeat(39)}${run % 10}`,
    completedAt: new Date(Date.UTC(2026, 0, 1, 0, run)),
    logsPerSession: 0,
  });
}

/** The git CLI doing the same: fast-import the records on top of the tip in the cache, push to a scratch branch. */
async function pushWithGitCli(input: {
  wired: Wired;
  url: string;
  run: number;
  files: Map<string, Buffer>;
}): Promise<void> {
  const gitDir = input.wired.gitDir;
  const branch = `bench-baseline-${input.run}`;
  await git(["branch", "-f", branch, "cfs-status"], { gitDir });
  const commit = await commitFiles({ gitDir, branch, files: input.files, message: "baseline" });
  await git(["push", "--quiet", input.url, `${commit}:refs/heads/${branch}`], { gitDir });
}
