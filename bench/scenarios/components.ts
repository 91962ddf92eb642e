/**
 * Components and the batcher (issue 11) on a repository of 10,000 components, every one configured
 * (its record on `cfs-status` says so): a pass with nothing pending, then one commit changing every
 * component's desired_config, to every batch planned and started, and the status commit of the
 * 10,000 component records that pass writes. Each change runs on a fresh copy of the repository.
 */
import { cp } from "node:fs/promises";
import { join } from "node:path";
import type { ComponentRecord, ConfigurationRecord } from "../../src/api/index.js";
import { configurationStatus, stableJson } from "../../src/plan/index.js";
import type { BenchContext } from "../lib/context.js";
import {
  componentFiles,
  configurationFiles,
  configuredStatusFiles,
  configurationRecords,
  type ComponentShape,
} from "../lib/generate-components.js";
import { OPTIONS_YAML } from "../lib/generate.js";
import { commitFiles, git, timed } from "../lib/git.js";
import { count, measured, type Row } from "../lib/report.js";
import { wireController, type Wired } from "../lib/wire.js";
import { measureCosts } from "./poll.js";
import { measureStoreCommits, type StoreCommitTimes } from "./store-commit.js";

/** The batcher's default batch_size: 10,000 components make 400 batches. */
const BATCH_SIZE = 25;

/** Rows: idle pass, the change to all batches started, its status commit. */
export async function componentRows(ctx: BenchContext): Promise<Row[]> {
  const shape: ComponentShape = {
    components: ctx.options.sessions,
    // 100 components per configuration: 4 full batches each, so nothing waits for a batch window.
    configurations: Math.max(1, Math.floor(ctx.options.sessions / 100)),
    shift: 0,
  };
  const template = join(ctx.options.dataDir, "components.git");
  await createComponentRepo(ctx, { gitDir: template, shape });
  const idle = await measureIdle(ctx, { template, shape });
  const change = await measureChanges(ctx, { template, shape });
  const store = await measureStoreCommits(ctx, { template, shape, runs: ctx.runs(5) });
  return [...rows({ n: shape.components, idle, change }), storeRow(store)];
}

/** A bare repository of configured components: `main` with their manifests, `cfs-status` with their records. */
export async function createComponentRepo(
  ctx: BenchContext,
  input: { gitDir: string; shape: ComponentShape },
): Promise<void> {
  ctx.progress(`components: generating ${count(input.shape.components)} configured components`);
  await git(["init", "--quiet", "--bare", "--initial-branch=main", input.gitDir]);
  const files = new Map([
    ["cfs.yaml", Buffer.from(OPTIONS_YAML)],
    ...configurationFiles(input.shape.configurations),
    ...componentFiles(input.shape),
  ]);
  await commitFiles({ gitDir: input.gitDir, branch: "main", files, message: "bench: components" });
  const now = new Date(Date.now() - 3_600_000).toISOString().replace(/\.\d+Z$/, "Z");
  await commitFiles({
    gitDir: input.gitDir,
    branch: "cfs-status",
    files: configuredStatusFiles(input.shape, now),
    message: "status: components configured",
    orphan: true,
  });
}

/** A copy of the template, a controller on it, its first pass done (which must find nothing to do). */
export async function warmController(
  ctx: BenchContext,
  input: { template: string; label: string; shape: ComponentShape },
): Promise<{ wired: Wired; gitDir: string }> {
  const gitDir = join(ctx.options.dataDir, `${input.label}.git`);
  await cp(input.template, gitDir, { recursive: true });
  const wired = await wireController({ where: { kind: "local", path: gitDir } });
  await wired.controller.pass();
  const configured = [...wired.controller.components.values()].filter(
    (c) => c.configuration_status === "configured",
  ).length;
  if (wired.reports[0]?.statusCommit || configured !== input.shape.components) {
    await wired.close();
    throw new Error(`the first pass was not idle (${configured} configured)`);
  }
  return { wired, gitDir };
}

interface Idle {
  cpu: number[];
  wall: number[];
  baseline: number[];
}

async function measureIdle(
  ctx: BenchContext,
  input: { template: string; shape: ComponentShape },
): Promise<Idle> {
  ctx.progress("components: idle passes");
  const { wired } = await warmController(ctx, { ...input, label: "components-idle" });
  try {
    const runs = ctx.runs(20);
    await wired.controller.pass();
    const pass = await measureCosts(runs, () => wired.controller.pass());
    if (wired.reports.slice(1).some((report) => report.moved || report.statusCommit || report.actions > 0))
      throw new Error("an idle pass did work");
    const records = [...wired.controller.components.values()];
    const configurations = configurationRecords(input.shape.configurations, "2026-01-01T00:00:00Z");
    const baseline = await measureCosts(runs, () => Promise.resolve(recomputeAll(records, configurations)));
    return { cpu: pass.cpu, wall: pass.wall, baseline: baseline.cpu };
  } finally {
    await wired.close();
  }
}

/** The plain way: every component's configuration_status computed again and compared with its record. */
function recomputeAll(
  records: readonly ComponentRecord[],
  configurations: ReadonlyMap<string, ConfigurationRecord>,
): number {
  let differ = 0;
  for (const record of records) {
    const result = configurationStatus({
      layers: configurations.get(record.desired_config)?.layers ?? null,
      state: record.state,
      errorCount: record.error_count,
      retries: record.retry_policy,
    });
    if (
      result.status !== record.configuration_status ||
      stableJson(result.desiredState) !== stableJson(record.desired_state)
    )
      differ += 1;
  }
  if (differ > 0) throw new Error(`${differ} records differ from their recomputed status`);
  return differ;
}

interface Change {
  toStarted: number[];
  statusCommit: number[];
  pass: number[];
  readBaseline: number[];
  commitBaseline: number[];
  batches: number;
  files: number;
}

async function measureChanges(
  ctx: BenchContext,
  input: { template: string; shape: ComponentShape },
): Promise<Change> {
  const change: Change = {
    toStarted: [],
    statusCommit: [],
    pass: [],
    readBaseline: [],
    commitBaseline: [],
    batches: 0,
    files: 0,
  };
  for (let run = 0; run < ctx.runs(5); run++) {
    ctx.progress(`components: all desired_config changed, run ${run + 1}`);
    const { wired, gitDir } = await warmController(ctx, { ...input, label: `components-change-${run}` });
    try {
      await measureOneChange({ wired, gitDir, shape: input.shape, change });
    } finally {
      await wired.close();
    }
  }
  return change;
}

async function measureOneChange(input: {
  wired: Wired;
  gitDir: string;
  shape: ComponentShape;
  change: Change;
}): Promise<void> {
  const { wired, gitDir, shape, change } = input;
  const parent = (await git(["rev-parse", "main"], { gitDir })).toString().trim();
  const commit = await commitFiles({
    gitDir,
    branch: "main",
    files: componentFiles({ ...shape, shift: 1 }),
    message: "every component to its next configuration",
  });
  const started = performance.now();
  await wired.controller.pass();
  const ended = performance.now();
  const starts = [...wired.runner.startedAt.values()];
  const lastStart = Math.max(...starts);
  change.toStarted.push(lastStart - started);
  change.statusCommit.push(ended - lastStart);
  change.pass.push(ended - started);
  change.batches = starts.length;
  change.files = await checkChange(wired, { gitDir, shape });
  change.readBaseline.push(await timed(() => readChangeWithGitCli(gitDir, { from: parent, to: commit })));
  const records = pendingRecordFiles(wired);
  change.commitBaseline.push(await timed(() => commitWithGitCli(gitDir, records)));
}

/** Every component is in a started batch, and one status commit holds every record; returns its file count. */
async function checkChange(wired: Wired, input: { gitDir: string; shape: ComponentShape }): Promise<number> {
  const expected = Math.ceil(input.shape.components / input.shape.configurations / BATCH_SIZE);
  const batches = wired.runner.names().length;
  if (batches !== expected * input.shape.configurations)
    throw new Error(`${batches} batches started, not ${expected * input.shape.configurations}`);
  const pending = [...wired.controller.components.values()].filter(
    (c) => c.configuration_status === "pending",
  ).length;
  if (pending !== input.shape.components) throw new Error(`${pending} components pending after the change`);
  const commit = wired.reports.at(-1)?.statusCommit;
  if (!commit) throw new Error("the pass made no status commit");
  const changed = await git(["diff-tree", "--no-commit-id", "--name-only", "-r", `${commit}^`, commit], {
    gitDir: input.gitDir,
  });
  return changed.toString().trim().split("\n").length;
}

/** The component records as the controller committed them (the baseline commits the same bytes elsewhere). */
function pendingRecordFiles(wired: Wired): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const record of wired.controller.components.values())
    files.set(`components/${record.id}.json`, Buffer.from(stableJson(record)));
  return files;
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

/** The git CLI writing the same number of records: one fast-import commit on a scratch branch off cfs-status. */
async function commitWithGitCli(gitDir: string, files: Map<string, Buffer>): Promise<void> {
  await git(["branch", "-f", "bench-baseline", "cfs-status"], { gitDir });
  await commitFiles({ gitDir, branch: "bench-baseline", files, message: "baseline" });
}

function rows(input: { n: number; idle: Idle; change: Change }): Row[] {
  const { n, idle, change } = input;
  const wall = measured(idle.wall);
  const wallText = "notMeasured" in wall ? "" : ` Wall time: median ${wall.summary.median.toFixed(1)} ms.`;
  return [
    {
      scenario: `${count(n)} components, one commit changing all their desired_config, to every batch planned and started`,
      target: "< 2 s",
      limit: 2000,
      figure: measured(change.toStarted),
      baseline: {
        label: `\`git diff-tree\` + \`git cat-file --batch\` of the ${count(n)} blobs`,
        figure: measured(change.readBaseline),
      },
      note: `One pass: diff, read and parse the ${count(n)} changed manifests, every component pending again (desired_config changed, error_count reset), ${change.batches} batches of ${BATCH_SIZE} planned and started (batch_size reached: no window to wait). The whole pass, its status commit included: ${text(change.pass)}.`,
    },
    {
      scenario: `the status commit of ${count(n)} component records (that same pass)`,
      target: "< 1 s",
      limit: 1000,
      figure: measured(change.statusCommit),
      baseline: {
        label: `\`git fast-import\` of the same ${count(n)} records`,
        figure: measured(change.commitBaseline),
      },
      note: `From the last batch started to the pass's end: ${count(change.files)} files (${count(n)} component records and the ${change.batches} new batcher session records) serialized, one fast-import commit of the changed paths, compare-and-swap of the branch, records taken in as written.`,
    },
    {
      scenario: `a pass with nothing pending and ${count(n)} configured components (CPU)`,
      target: "< 20 ms of work",
      limit: 20,
      figure: measured(idle.cpu),
      baseline: {
        label: `configuration_status of the ${count(n)} components recomputed and compared`,
        figure: measured(idle.baseline),
      },
      note: `Figure: CPU time of the controller process for a whole pass with no new commit (tip check, observe, plan with components and the batcher, no commit).${wallText}`,
    },
  ];
}

/** The status store's commit alone, now beside before (same run, same commit). */
function storeRow(store: StoreCommitTimes): Row {
  return {
    scenario: `the status store's commit alone of ${count(store.files)} changed records (component and configuration)`,
    target: "—",
    limit: null,
    figure: measured(store.trees),
    baseline: {
      label: "the same store sending one fast-import `M` line per file, as before (same commit)",
      figure: measured(store.plain),
    },
    note: "commit() of a loaded store: hashing, the components/ tree built in-process and written with `git hash-object`, one fast-import of the new blobs and the commit, compare-and-swap of the branch. Runs alternate with the per-file way on fresh copies; both must give the same commit id.",
  };
}

function text(samples: number[]): string {
  const figure = measured(samples);
  if ("notMeasured" in figure) return figure.notMeasured;
  const { median, min, max, n } = figure.summary;
  return `${median.toFixed(0)} ms (${min.toFixed(0)}–${max.toFixed(0)}, n=${n})`;
}
