/**
 * Profiling driver: the status store's commit of `--components` changed component records, `--runs`
 * times, each on a fresh copy of a repository whose `cfs-status` holds them configured. Run it under
 * `node --cpu-prof dist/bench/child/status-commit.js` to see where a status commit spends its time.
 * Runs alternate between the store as it is and the store sending one fast-import `M` line per file
 * (how it committed before it built busy directories' trees itself); it stops unless both make the
 * same commit.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createComponentRepo } from "../scenarios/components.js";
import { measureStoreCommits } from "../scenarios/store-commit.js";
import { BenchContext } from "../lib/context.js";

const { values } = parseArgs({
  options: { components: { type: "string", default: "10000" }, runs: { type: "string", default: "7" } },
});
const components = Number(values.components);
const dataDir = await mkdtemp(join(tmpdir(), "cfs-bench-commit-"));
const ctx = new BenchContext({
  root: dataDir,
  dataDir,
  sessions: components,
  configurations: components / 100,
  components: 0,
  logsPerSession: 0,
  quick: true,
});
const shape = { components, configurations: Math.max(1, Math.floor(components / 100)), shift: 0 };
const template = join(dataDir, "components.git");
await createComponentRepo(ctx, { gitDir: template, shape });
const times = await measureStoreCommits(ctx, { template, shape, runs: Number(values.runs) });
for (const way of ["trees", "plain"] as const) {
  const sorted = [...times[way]].sort((a, b) => a - b);
  ctx.progress(`${way}: median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(0)} ms`);
}
await rm(dataDir, { recursive: true, force: true });
