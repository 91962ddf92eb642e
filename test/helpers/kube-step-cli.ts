/** Runs `cfs-gitops ...` in-process through the CLI's runCli seam, as a Job's container runs it. */
import type { CliIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run-cli.js";

/** What the command did. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` (after `cfs-gitops`) with `env` on top of this process's PATH and HOME. */
export async function runContainerCommand(input: {
  argv: readonly string[];
  env: Readonly<Record<string, string>>;
  cwd?: string;
}): Promise<CliRun> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const env = { PATH: process.env["PATH"], HOME: process.env["HOME"] ?? "/tmp", ...input.env };
  const clock = { now: () => new Date(), sleep: () => Promise.resolve() };
  const io: CliIo = {
    stdout: sink(stdout),
    stderr: sink(stderr),
    stdin: null,
    env,
    cwd: input.cwd ?? process.cwd(),
    ...clock,
  };
  const code = await runCli(input.argv, io);
  return { code, stdout: stdout.join(""), stderr: stderr.join("") };
}

function sink(lines: string[]): CliIo["stdout"] {
  return { write: (text) => void lines.push(text) };
}
