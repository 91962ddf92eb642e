/**
 * Profiling driver: the status store's commit of `--components` changed component records, `--runs`
 * times, each on a fresh copy of a repository whose `cfs-status` holds them configured. Run it under
 * `node --cpu-prof dist/bench/child/status-commit.js` to see where a status commit spends its time.
 * Runs alternate between the store as it is and the store with every file sent to fast-import as
 * its own `M` line (`treeMinChanges: Infinity`, how it committed before it built busy directories'
 * trees itself), under the same load; it stops unless both make the same commit.
 */
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import pino from "pino";
import { createStatusStore } from "../../src/git/status-store.js";
import { createComponentRepo } from "../scenarios/components.js";
import { BenchContext } from "../lib/context.js";
import { configuredStatusFiles } from "../lib/generate-components.js";

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
  logsPerSession: 0,
  quick: true,
});
const shape = { components, configurations: Math.max(1, Math.floor(components / 100)), shift: 0 };
const template = join(dataDir, "components.git");
await createComponentRepo(ctx, { gitDir: template, shape });
const changes = new Map<string, Buffer | null>(configuredStatusFiles(shape, "2026-02-02T00:00:00Z"));
const ways = { trees: [] as number[], plain: [] as number[] };
const commits = new Set<string>();
for (let run = 0; run < Number(values.runs); run++) {
  for (const way of ["plain", "trees"] as const) {
    const gitDir = join(dataDir, `run-${run}-${way}.git`);
    await cp(template, gitDir, { recursive: true });
    const store = await createStatusStore({
      gitDir,
      branch: "cfs-status",
      log: pino({ level: "silent" }),
      ...(way === "plain" ? { treeMinChanges: Infinity } : {}),
    });
    await store.load();
    const started = performance.now();
    const result = await store.commit({ changes, now: new Date(0), message: () => "status\n" });
    ways[way].push(performance.now() - started);
    commits.add(result?.commit ?? "none");
    ctx.progress(
      `run ${run} ${way}: ${ways[way].at(-1)?.toFixed(0)} ms, ${result?.commit}, ${result?.changes.size} files`,
    );
    await store.close();
    await rm(gitDir, { recursive: true, force: true });
  }
}
if (commits.size !== 1) throw new Error(`the two ways made different commits: ${[...commits].join(", ")}`);
for (const [way, times] of Object.entries(ways)) {
  times.sort((a, b) => a - b);
  ctx.progress(`${way}: median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms`);
}
await rm(dataDir, { recursive: true, force: true });
