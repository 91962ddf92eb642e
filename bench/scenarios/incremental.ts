/**
 * A running controller on the big repository (warm: its first pass done) sees one commit:
 * adding 1 session (to its run started), then adding 1,000 sessions (to all planned and started).
 * Each pass is run by calling pass() right after the commit, so watch latency is not in these figures.
 */
import { completeRun, startRun } from "../../src/api/observation.js";
import { addSessions, type BenchRepo } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { sessionName } from "../lib/generate.js";
import { git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { formatSummary, summarize } from "../lib/stats.js";
import { wireController, type Wired } from "../lib/wire.js";

/** Rows: one new session to its run started; 1,000 new sessions to all started. */
export async function incrementalRows(ctx: BenchContext): Promise<Row[]> {
  const repo = await ctx.copyOfBig("incremental");
  const wired = await wireController({ where: { kind: "local", path: repo.gitDir } });
  try {
    ctx.progress("incremental: first pass");
    await wired.controller.pass();
    const next = { index: repo.shape.sessions + 100_000 };
    const one = await measureAdds(ctx, { repo, wired, next, count: 1, runs: ctx.runs(7) });
    const thousand = await measureAdds(ctx, { repo, wired, next, count: 1000, runs: ctx.runs(3) });
    const n = ctx.options.sessions;
    return [
      {
        scenario: `one commit adding 1 session to the ${count(n)}-session repository, to its run started`,
        target: "< 100 ms + runner",
        limit: 100,
        figure: measured(one.toStart),
        baseline: {
          label: "`git diff-tree` + `git cat-file --batch` of the one blob",
          figure: measured(one.baseline),
        },
        note: `The whole pass, status commit of the new pending record included: ${summaryText(one.pass)}. "Changing" a session means adding one: an edit to an existing session runs nothing (sessions are immutable).`,
      },
      {
        scenario: "one commit adding 1,000 sessions, to all planned and started",
        target: "< 2 s",
        limit: 2000,
        figure: measured(thousand.toStart),
        baseline: {
          label: "`git diff-tree` + `git cat-file --batch` of the 1,000 blobs",
          figure: measured(thousand.baseline),
        },
        note: `The whole pass, status commit of 1,000 pending records included: ${summaryText(thousand.pass)}.`,
      },
    ];
  } finally {
    await wired.close();
  }
}

interface AddInput {
  repo: BenchRepo;
  wired: Wired;
  /** Index of the next session to add (moved forward by each commit). */
  next: { index: number };
  count: number;
  runs: number;
}

interface AddSamples {
  toStart: number[];
  pass: number[];
  baseline: number[];
}

async function measureAdds(ctx: BenchContext, input: AddInput): Promise<AddSamples> {
  const { repo, wired, next, count } = input;
  const samples: AddSamples = { toStart: [], pass: [], baseline: [] };
  for (let run = 0; run < input.runs; run++) {
    ctx.progress(`incremental: adding ${count} session(s), run ${run + 1}`);
    const before = wired.controller.records.sessions.size;
    const parent = (await git(["rev-parse", "main"], { gitDir: repo.gitDir })).toString().trim();
    const commit = await addSessions(repo, { from: next.index, to: next.index + count });
    const names = Array.from({ length: count }, (_, i) => sessionName(next.index + i));
    next.index += count;
    const started = performance.now();
    const pass = wired.controller.pass();
    const starts = await Promise.all(names.map((name) => wired.runner.whenStarted(name)));
    await pass;
    samples.pass.push(performance.now() - started);
    samples.toStart.push(Math.max(...starts) - started);
    if (wired.controller.records.sessions.size !== before + count)
      throw new Error("the new sessions were not all recorded");
    samples.baseline.push(await timed(() => readChangeWithGitCli(repo.gitDir, { from: parent, to: commit })));
    await completeRuns(wired, names);
  }
  return samples;
}

/** The runs end and a pass records them, so the next measurement starts with every session complete again. */
async function completeRuns(wired: Wired, names: string[]): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  wired.runner.update(names, (obs) =>
    completeRun(startRun(obs, now), { succeeded: "true", reason: null, now }),
  );
  await wired.controller.pass();
  const left = names.filter(
    (name) => wired.controller.records.sessions.get(name)?.status.session.status !== "complete",
  );
  if (left.length > 0) throw new Error(`${left.length} sessions did not complete`);
}

/** The git CLI doing the least a controller must: list what changed, read the changed blobs. */
async function readChangeWithGitCli(gitDir: string, range: { from: string; to: string }): Promise<void> {
  const diff = await git(["diff-tree", "-r", "-z", "--no-renames", "--raw", range.from, range.to], {
    gitDir,
  });
  const oids = diff
    .toString("utf8")
    .split("\0")
    .filter((field) => field.startsWith(":"))
    .map((meta) => meta.split(" ")[3] ?? "");
  await git(["cat-file", "--batch"], { gitDir, stdin: `${oids.join("\n")}\n` });
}

function summaryText(samples: number[]): string {
  return formatSummary(summarize(samples), "ms");
}
