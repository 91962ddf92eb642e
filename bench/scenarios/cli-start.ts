/**
 * CLI start-up, each command in a fresh process as a user runs it (`node dist/src/cli/main.js`),
 * on the big repository (10,000 sessions with records), beside bare `node -e 0` and `git ls-tree`
 * of the same branch, measured in the same run.
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { BenchContext } from "../lib/context.js";
import { benchEnv } from "../lib/git.js";
import { sessionName } from "../lib/generate.js";
import { count, measured, type Row } from "../lib/report.js";

const CLI = resolve(import.meta.dirname, "..", "..", "src", "cli", "main.js");

/** Runs a program to its end and returns the wall time in ms (throws when it fails). */
function timedRun(command: string, args: readonly string[]): Promise<number> {
  const started = performance.now();
  return new Promise((done, fail) => {
    const child = spawn(command, args, { env: benchEnv(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", fail);
    child.on("close", (code) => {
      if (code === 0) done(performance.now() - started);
      else fail(new Error(`${command} ${args.join(" ")} exited ${code}: ${stderr.trim()}`));
    });
  });
}

async function samples(
  ctx: BenchContext,
  run: { command: string; args: readonly string[]; before?: () => void },
): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ctx.runs(7); i++) {
    run.before?.();
    out.push(await timedRun(run.command, run.args));
  }
  return out;
}

/** Rows: --version, --help, sessions list, sessions describe; baselines node -e 0 and git ls-tree. */
export async function cliStartRows(ctx: BenchContext): Promise<Row[]> {
  const repo = await ctx.bigRepo();
  const n = ctx.options.sessions;
  const data = join(ctx.options.dataDir, "cli-start-data");
  const repoArgs = ["--repo", repo.gitDir, "--data-dir", data];
  ctx.progress("cli start-up: baselines");
  const node = {
    label: "`node -e 0`",
    figure: measured(await samples(ctx, { command: process.execPath, args: ["-e", "0"] })),
  };
  const lsTree = {
    label: "`git ls-tree -r cfs-status` (one git process)",
    figure: measured(
      await samples(ctx, {
        command: "git",
        args: [`--git-dir=${repo.gitDir}`, "ls-tree", "-r", "cfs-status"],
      }),
    ),
  };
  const cli = (args: readonly string[], before?: () => void) =>
    samples(ctx, { command: process.execPath, args: [CLI, ...args], ...(before ? { before } : {}) });
  // The list's cache lives in the repository's git directory: removed before each cold run.
  const dropCache = () => rmSync(join(repo.gitDir, "cfs-gitops"), { recursive: true, force: true });
  ctx.progress("cli start-up: --version, --help");
  const version = await cli(["--version"]);
  const help = await cli(["--help"]);
  ctx.progress("cli start-up: sessions list, describe");
  const listCold = await cli(["sessions", "list", ...repoArgs], dropCache);
  const list = await cli(["sessions", "list", ...repoArgs]); // the cache the last cold run wrote
  const describe = await cli(["sessions", "describe", sessionName(n - 1), ...repoArgs]);
  const row = (scenario: string, figure: number[], baseline: Row["baseline"]): Row => ({
    scenario,
    target: "< 150 ms",
    limit: 150,
    figure: measured(figure),
    baseline,
  });
  return [
    row("CLI start-up: `cfs-gitops --version`", version, node),
    row("CLI start-up: `cfs-gitops --help`", help, node),
    row(`CLI: \`sessions list\` on ${count(n)} sessions (local repository), no cache yet`, listCold, lsTree),
    row(`CLI: \`sessions list\` on ${count(n)} sessions (local repository), cache up to date`, list, lsTree),
    row(`CLI: \`sessions describe NAME\` on ${count(n)} sessions (local repository)`, describe, lsTree),
  ];
}
