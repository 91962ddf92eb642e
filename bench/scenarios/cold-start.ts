/**
 * Cold start, each in a fresh process: the controller on a repository of 10,000 sessions, from its
 * modules loaded to every session known and planned. Two cases: a restart (the status branch holds
 * every session's record) and a first start (no status branch: every session is new, started and
 * recorded). The same processes give the peak memory row.
 */
import type { ColdStartInput, ColdStartOutput } from "../child/cold-start.js";
import type { BenchContext } from "../lib/context.js";
import { git, timed } from "../lib/git.js";
import { runChild } from "../lib/processes.js";
import { count, measured, type Row } from "../lib/report.js";

const MIB = 1024;

/** Rows: restart, first start (to all started, to the status commit), peak memory of both. */
export async function coldStartRows(ctx: BenchContext): Promise<Row[]> {
  const repo = await ctx.copyOfBig("cold");
  const n = ctx.options.sessions;
  const restarts: ColdStartOutput[] = [];
  const firsts: ColdStartOutput[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < ctx.runs(5); i++) {
    ctx.progress(`cold start ${i + 1}`);
    restarts.push(await runChild<ColdStartOutput>("cold-start", input(repo.gitDir, "cfs-status")));
    baseline.push(await timed(() => readAllWithGitCli(repo.gitDir)));
  }
  for (let i = 0; i < ctx.runs(3); i++) {
    ctx.progress(`first start ${i + 1}`);
    firsts.push(await runChild<ColdStartOutput>("cold-start", input(repo.gitDir, `bench-first-${i}`)));
  }
  const idle: number[] = [];
  for (let i = 0; i < 3; i++) idle.push((await runChild<{ maxRssKiB: number }>("idle", {})).maxRssKiB / MIB);
  const gitRead = {
    label: "`git ls-tree -r` + `git cat-file --batch` of the same blobs",
    figure: measured(baseline),
  };
  return [
    {
      scenario: `cold start (restart): ${count(n)} sessions with records, ${configurationsAndComponents(ctx)}, to all known and planned`,
      target: "< 3 s",
      limit: 3000,
      figure: measured(restarts.map((r) => r.passMs)),
      baseline: gitRead,
      note: `Fresh process each run; from modules loaded to the end of the first pass: git version check, every record of the status branch read and parsed, the watched branch listed, its configurations read and parsed (the manifests of sessions that completed from their current blob are left unread), plan of every session. Node start and module loading add ${Math.round(median(restarts.map((r) => r.processMs - r.passMs)))} ms more.`,
    },
    {
      scenario: `first start (no status branch): ${count(n)} new sessions, to all ${count(n)} runs started`,
      target: "(< 3 s)",
      limit: 3000,
      figure: measured(firsts.map((r) => r.lastStartMs ?? Number.NaN)),
      baseline: gitRead,
      note: "Every manifest is read and parsed (plain YAML without positions, or with them when the file has anything to report; then JSON Schema), every session planned and started.",
    },
    {
      scenario: `first start: to the status commit of ${count(n)} pending records`,
      target: "—",
      limit: null,
      figure: measured(firsts.map((r) => r.passMs)),
      baseline: null,
    },
    {
      scenario: `peak memory of the controller, restart with ${count(n)} sessions`,
      target: "< 200 MiB",
      limit: 200,
      compare: "max",
      figure: measured(
        restarts.map((r) => r.maxRssKiB / MIB),
        "MiB",
      ),
      baseline: { label: "node with the same modules loaded, idle", figure: measured(idle, "MiB") },
      note: "Peak resident set size (VmHWM) of the controller process over its cold start; git child processes not included. The target is checked against the largest run.",
    },
    {
      scenario: `peak memory of the controller, first start: ${count(n)} new sessions started and recorded in one pass`,
      target: "(< 200 MiB)",
      limit: 200,
      compare: "max",
      figure: measured(
        firsts.map((r) => r.maxRssKiB / MIB),
        "MiB",
      ),
      baseline: { label: "node with the same modules loaded, idle", figure: measured(idle, "MiB") },
    },
  ];
}

/** "100 configurations", or "1,000 configurations, 20,000 components" when the repository has components. */
function configurationsAndComponents(ctx: BenchContext): string {
  const { configurations, components } = ctx.options;
  const text = `${count(configurations)} configurations`;
  return components > 0 ? `${text}, ${count(components)} components` : text;
}

function input(path: string, statusBranch: string): ColdStartInput {
  return { path, statusBranch };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

/** What the controller reads at a cold start, read by the git CLI: both trees, then every manifest and record (session, component, configuration). */
export async function readAllWithGitCli(gitDir: string): Promise<void> {
  const [main, status] = await Promise.all([
    git(["ls-tree", "-r", "-z", "main"], { gitDir }),
    git(["ls-tree", "-r", "-z", "cfs-status"], { gitDir }),
  ]);
  const oids = [
    ...blobIds(main, (path) => path.endsWith(".yaml")),
    ...blobIds(status, (path) => /^(sessions|components|configurations)\//.test(path)),
  ];
  await git(["cat-file", "--batch"], { gitDir, stdin: `${oids.join("\n")}\n` });
}

/** Blob ids of `ls-tree -r -z` output whose path passes `keep`. */
export function blobIds(listing: Buffer, keep: (path: string) => boolean): string[] {
  const oids: string[] = [];
  for (const record of listing.toString("utf8").split("\0")) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const oid = record.slice(0, tab).split(" ")[2];
    if (oid && keep(record.slice(tab + 1))) oids.push(oid);
  }
  return oids;
}
