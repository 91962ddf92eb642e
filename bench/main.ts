/**
 * `npm run bench`: generates its repositories under a temporary folder, runs every scenario a few
 * times beside its baseline, prints its table and writes it to its own section of bench/results.md
 * with the machine and load of that run (sections of scenarios not run are kept). Flags: --quick
 * (fewer runs), --only=<scenario,...>, --sessions=<n> (try the bench on a smaller repository; from
 * 100,000 on, 1,000 configurations and 20,000 components), --keep (keep the data folder),
 * --data=<dir> (use and keep that folder, reusing a big repository of the same shape generated
 * there before), --out=<file>, --growth-days=<d,...> (history lengths of the status branch growth
 * scenario).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { BenchContext } from "./lib/context.js";
import { describeMachine } from "./lib/machine.js";
import { renderTable, type Row } from "./lib/report.js";
import { mergeResults, type ScenarioSection } from "./lib/results-file.js";
import { cliStartRows } from "./scenarios/cli-start.js";
import { growthRows } from "./scenarios/growth.js";
import { coldStartRows } from "./scenarios/cold-start.js";
import { apiRows } from "./scenarios/api.js";
import { componentRows } from "./scenarios/components.js";
import { incrementalRows } from "./scenarios/incremental.js";
import { kubernetesRows } from "./scenarios/kubernetes.js";
import { localRunnerRows } from "./scenarios/local-runner.js";
import { pollRows } from "./scenarios/poll.js";
import { statusCommitRows } from "./scenarios/status-commit.js";
import { verifyCommitsRows } from "./scenarios/verify-commits.js";
import { watchLocalRows } from "./scenarios/watch-local.js";
import { webhookRows } from "./scenarios/webhook.js";
import { snapshotEnvironment } from "../src/cli/environment.js";

/** Every scenario, in the order of the table. */
const SCENARIOS: ReadonlyArray<{ name: string; run: (ctx: BenchContext) => Promise<Row[]> }> = [
  { name: "cold", run: coldStartRows },
  { name: "poll", run: pollRows },
  { name: "incremental", run: incrementalRows },
  { name: "status", run: statusCommitRows },
  { name: "watch", run: watchLocalRows },
  { name: "webhook", run: webhookRows },
  { name: "kubernetes", run: kubernetesRows },
  { name: "local", run: localRunnerRows },
  { name: "verify", run: verifyCommitsRows },
  { name: "components", run: componentRows },
  { name: "api", run: apiRows },
  { name: "cli", run: cliStartRows },
  { name: "growth", run: growthRows },
];

const ROOT = resolve(import.meta.dirname, "..", "..");

interface Cli {
  quick: boolean;
  only: string[] | null;
  sessions: number;
  keep: boolean;
  data: string | null;
  out: string;
  growthDays: number[];
}

const USAGE = `npm run bench -- [options]    (or: node dist/bench/main.js [options])

Measures every scenario (or those of --only) beside its baseline and writes each one's section of
bench/results.md, with the machine and load of its own run.

  --quick               fewer runs of each scenario
  --only=NAME,...       only these scenarios: ${SCENARIOS.map((scenario) => scenario.name).join(", ")}
  --sessions=N          sessions in the big repository (default 10000; from 100000, 1,000
                        configurations and 20,000 components)
  --keep                keep the data folder (its path is printed)
  --data=DIR            use and keep DIR, reusing a big repository of the same shape made there
  --out=FILE            where the results go (default bench/results.md)
  --growth-days=D,...   history lengths of the growth scenario (default 7,14)
  -h, --help            this help
`;

function readCli(): Cli | null {
  const { values } = parseArgs({
    options: {
      help: { type: "boolean", short: "h", default: false },
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      sessions: { type: "string", default: "10000" },
      keep: { type: "boolean", default: false },
      data: { type: "string" },
      out: { type: "string", default: join(ROOT, "bench", "results.md") },
      "growth-days": { type: "string", default: "7,14" },
    },
  });
  if (values.help) return null;
  const only = values.only ? values.only.split(",") : null;
  const unknown = only?.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name)) ?? [];
  if (unknown.length > 0) throw new Error(`--only ${unknown.join(",")}: no such scenario (see --help)`);
  const sessions = Number(values.sessions);
  if (!Number.isInteger(sessions) || sessions < 1000)
    throw new Error("--sessions must be an integer >= 1000");
  const growthDays = values["growth-days"].split(",").map(Number);
  if (!growthDays.every((days) => Number.isInteger(days) && days >= 1))
    throw new Error("--growth-days must be integers >= 1, separated by commas");
  return {
    quick: values.quick,
    only,
    sessions,
    keep: values.keep || values.data !== undefined,
    data: values.data === undefined ? null : resolve(values.data),
    out: resolve(values.out),
    growthDays,
  };
}

/**
 * Runs the chosen scenarios in table order; each section carries the machine and load of its own
 * run and is written to the results file as soon as it is measured (a later failure keeps it).
 */
async function runScenarios(ctx: BenchContext, cli: Cli): Promise<ScenarioSection[]> {
  const sections: ScenarioSection[] = [];
  const order = SCENARIOS.map((scenario) => scenario.name);
  for (const scenario of SCENARIOS) {
    if (cli.only && !cli.only.includes(scenario.name)) continue;
    const machine = describeMachine(new Date());
    const started = performance.now();
    const rows = await scenario.run(ctx);
    const seconds = Math.round((performance.now() - started) / 1000);
    const table = renderTable(rows);
    process.stdout.write(`${table}\n`);
    sections.push({ name: scenario.name, table, machine, loadAtEnd: loadavg(), seconds, quick: cli.quick });
    const previous = await readPrevious(cli.out);
    await writeFile(cli.out, mergeResults({ previous, ran: sections, order }));
    ctx.progress(`${scenario.name} done in ${seconds} s, written to ${cli.out}`);
  }
  return sections;
}

async function readPrevious(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch {
    return null;
  }
}

async function main(): Promise<void> {
  const cli = readCli();
  if (cli === null) {
    process.stdout.write(USAGE);
    return;
  }
  const dataDir = cli.data ?? (await mkdtemp(join(tmpdir(), "cfs-bench-")));
  await mkdir(dataDir, { recursive: true });
  const huge = cli.sessions >= 100_000; // issue 16's site: 1,000 configurations, 20,000 components
  const ctx = new BenchContext({
    root: ROOT,
    dataDir,
    sessions: cli.sessions,
    configurations: huge ? 1000 : 100,
    components: huge ? 20_000 : 0,
    logsPerSession: 2,
    quick: cli.quick,
    growthDays: cli.growthDays,
  });
  try {
    const ran = await runScenarios(ctx, cli);
    ctx.progress(`${ran.length} scenario(s) measured; the sections of the others in ${cli.out} are kept`);
  } finally {
    await ctx.close();
    if (cli.keep) ctx.progress(`data kept in ${dataDir}`);
    else await rm(dataDir, { recursive: true, force: true });
  }
}

snapshotEnvironment(); // as the CLI does at start (src/cli/environment.ts)
try {
  await main();
} catch (error) {
  // A mistyped option or value: one line and exit 2, as the CLI does; anything else keeps its stack.
  const code = error instanceof Error && "code" in error ? String(error.code) : "";
  const usage = error instanceof Error && (/^--/.test(error.message) || code.startsWith("ERR_PARSE_ARGS"));
  if (!usage) throw error;
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 2;
}
