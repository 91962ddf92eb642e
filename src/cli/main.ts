#!/usr/bin/env node
/** The composition root: parses the command line and wires the rooms together. */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError } from "commander";
import { registerCompletion } from "./commands/completion.js";
import { registerComponents } from "./commands/components.js";
import { registerConfigurations } from "./commands/configurations.js";
import { registerSources } from "./commands/sources.js";
import { registerController } from "./commands/controller.js";
import { registerDemo } from "./commands/demo.js";
import { registerDiff } from "./commands/diff.js";
import { registerPrCheck } from "./commands/pr-check.js";
import { registerImages } from "./commands/images.js";
import { registerProblems } from "./commands/problems.js";
import { registerSessions } from "./commands/sessions.js";
import { registerStep } from "./commands/step.js";
import { registerValidate } from "./commands/validate.js";
import { registerVerify } from "./commands/verify.js";
import { ConfigError } from "./config.js";
import { snapshotEnvironment } from "./environment.js";
import { CliError } from "./errors.js";
import { processIo, type CliIo } from "./io.js";
import { oneLineParseError } from "./parse-errors.js";
import { isGitError } from "../git/errors.js";

function buildProgram(io: CliIo): Command {
  const program = new Command("cfs-gitops")
    .description(
      "GitOps for the Configuration Framework Service: sessions as manifests in Git, status on a status branch",
    )
    .version("0.1.0")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(oneLineParseError(text)),
    });
  registerController(program);
  registerValidate(program, io);
  registerSessions(program, io);
  registerConfigurations(program, io);
  registerSources(program, io);
  registerComponents(program, io);
  registerDiff(program, io);
  registerPrCheck(program, io);
  registerProblems(program, io);
  registerVerify(program, io);
  registerImages(program, io);
  registerDemo(program);
  registerStep(program, io);
  registerCompletion(program, io);
  return program;
}

/** Exit code and one line for an error; unexpected errors keep their stack for a bug report. */
function describeError(error: unknown): { code: number; line: string } {
  if (error instanceof CommanderError) return { code: error.exitCode === 0 ? 0 : 2, line: "" };
  if (error instanceof ConfigError) return { code: 2, line: `cfs-gitops: ${error.message}` };
  if (error instanceof CliError) return { code: error.exitCode, line: `cfs-gitops: ${error.message}` };
  if (isGitError(error)) return { code: 1, line: `cfs-gitops: ${error.message}` };
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  return { code: 1, line: `cfs-gitops: unexpected error (please report it): ${stack}` };
}

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit code. The seam
 * tests run commands through in-process, with their own streams, environment and clock.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  try {
    await buildProgram(io).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    const { code, line } = describeError(error);
    if (line) io.stderr.write(`${line}\n`);
    return code;
  }
}

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  snapshotEnvironment();
  // `cfs-gitops sessions list | head`: a reader that stops early ends the output quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  process.exitCode = await runCli(process.argv.slice(2));
}
