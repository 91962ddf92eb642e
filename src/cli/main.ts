#!/usr/bin/env node
/** The composition root: parses the command line and wires the rooms together. */
import { Command, CommanderError } from "commander";
import { registerController } from "./commands/controller.js";
import { registerDemo } from "./commands/demo.js";
import { registerSessions } from "./commands/sessions.js";
import { registerValidate } from "./commands/validate.js";
import { ConfigError } from "./config.js";
import { CliError } from "./errors.js";
import { isGitError } from "../git/errors.js";

function buildProgram(): Command {
  const program = new Command("cfs-gitops")
    .description(
      "GitOps for the Configuration Framework Service: sessions as manifests in Git, status on a status branch",
    )
    .version("0.1.0")
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  registerController(program);
  registerValidate(program);
  registerSessions(program);
  registerDemo(program);
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

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  const { code, line } = describeError(error);
  if (line) process.stderr.write(`${line}\n`);
  process.exitCode = code;
}
