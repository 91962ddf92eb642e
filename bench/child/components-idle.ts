/**
 * Profiling driver: a controller warm on a repository of `--components` configured components runs
 * `--passes` idle passes (after one commit changing every desired_config with `--change`). Run it under `node --cpu-prof dist/bench/child/components-idle.js` to see
 * where an idle pass with components spends its time.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createComponentRepo, warmController } from "../scenarios/components.js";
import { BenchContext } from "../lib/context.js";
import { componentFiles } from "../lib/generate-components.js";
import { commitFiles } from "../lib/git.js";

const { values } = parseArgs({
  options: {
    components: { type: "string", default: "10000" },
    passes: { type: "string", default: "200" },
    change: { type: "boolean", default: false },
  },
});
const components = Number(values.components);
const dataDir = await mkdtemp(join(tmpdir(), "cfs-bench-idle-"));
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
const { wired } = await warmController(ctx, { template, label: "idle", shape });
if (values.change) {
  const files = componentFiles({ ...shape, shift: 1 });
  await commitFiles({ gitDir: wired.gitDir, branch: "main", files, message: "change" });
  const changeStarted = performance.now();
  await wired.controller.pass();
  ctx.progress(`change pass: ${(performance.now() - changeStarted).toFixed(0)} ms`);
}
const started = performance.now();
const passes = Number(values.passes);
for (let i = 0; i < passes; i++) await wired.controller.pass();
ctx.progress(`${passes} idle passes: ${((performance.now() - started) / passes).toFixed(2)} ms each`);
await wired.close();
await rm(dataDir, { recursive: true, force: true });
