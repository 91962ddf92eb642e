/**
 * The status store's commit alone, of a repository's every component record changed: the store as
 * it is (directories with many changes get their tree built in-process) beside the store sending
 * one fast-import `M` line per file (`treeMinChanges: Infinity`, how it committed before), run in
 * turn under the same load, each on a fresh copy. Both must make the same commit, or it throws.
 */
import { cp, rm } from "node:fs/promises";
import { join } from "node:path";
import pino from "pino";
import { createStatusStore } from "../../src/git/status-store.js";
import type { BenchContext } from "../lib/context.js";
import { configuredStatusFiles, type ComponentShape } from "../lib/generate-components.js";

/** Milliseconds of each commit, the way it is built now (`trees`) and before (`plain`). */
export interface StoreCommitTimes {
  trees: number[];
  plain: number[];
  files: number;
}

/** Commit `shape`'s records (all changed) `runs` times each way on copies of `template`. */
export async function measureStoreCommits(
  ctx: BenchContext,
  input: { template: string; shape: ComponentShape; runs: number },
): Promise<StoreCommitTimes> {
  const changes = new Map<string, Buffer | null>(configuredStatusFiles(input.shape, "2026-02-02T00:00:00Z"));
  const times: StoreCommitTimes = { trees: [], plain: [], files: changes.size };
  const commits = new Set<string>();
  for (let run = 0; run < input.runs; run++) {
    for (const way of ["plain", "trees"] as const) {
      const gitDir = join(ctx.options.dataDir, `store-commit-${run}-${way}.git`);
      await cp(input.template, gitDir, { recursive: true });
      const { ms, commit } = await commitOnce({ gitDir, changes, plain: way === "plain" });
      times[way].push(ms);
      commits.add(commit);
      ctx.progress(`status store commit, ${way}, run ${run + 1}: ${ms.toFixed(0)} ms, ${commit}`);
      await rm(gitDir, { recursive: true, force: true });
    }
  }
  if (commits.size !== 1) throw new Error(`the two ways made different commits: ${[...commits].join(", ")}`);
  return times;
}

async function commitOnce(input: {
  gitDir: string;
  changes: ReadonlyMap<string, Buffer | null>;
  plain: boolean;
}): Promise<{ ms: number; commit: string }> {
  const store = await createStatusStore({
    gitDir: input.gitDir,
    branch: "cfs-status",
    log: pino({ level: "silent" }),
    ...(input.plain ? { treeMinChanges: Infinity } : {}),
  });
  try {
    await store.load();
    const started = performance.now();
    const result = await store.commit({
      changes: input.changes,
      now: new Date(0),
      message: () => "status\n",
    });
    const ms = performance.now() - started;
    if (!result) throw new Error("the status store made no commit");
    return { ms, commit: result.commit };
  } finally {
    await store.close();
  }
}
