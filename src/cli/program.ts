/** The composition root: parses the command line and wires the rooms together (run-cli.ts runs it). */
import { Command, CommanderError, Help } from "commander";
import { COMMANDS, commandOf } from "./command-table.js";
import { ConfigError } from "./config-error.js";
import { CliError } from "./errors.js";
import type { CliIo } from "./io.js";
import { oneLineParseError } from "./parse-errors.js";
import { VERSION } from "./version.js";
import { isGitError } from "../git/errors.js";

/**
 * The program with only the command that runs loaded (see command-table.ts); for the program's
 * own help, version or an unknown command, every command is listed from the table, none loaded.
 */
async function buildProgram(io: CliIo, argv: readonly string[]): Promise<Command> {
  const program = new Command("cfs-gitops")
    .description(
      "GitOps for the Configuration Framework Service: sessions as manifests in Git, status on a status branch",
    )
    .version(VERSION)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
      outputError: (text, write) => write(oneLineParseError(text)),
    });
  const wanted = commandOf(argv);
  if (wanted !== null) {
    (await wanted.load())(program, io);
    return program;
  }
  const terms = new Map(COMMANDS.map((command) => [command.name, command.term]));
  const help = new Help();
  program.configureHelp({
    subcommandTerm: (command) => terms.get(command.name()) ?? help.subcommandTerm(command),
  });
  for (const command of COMMANDS) program.command(command.name).description(command.description);
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

/** Runs the command line `argv` through the parser and returns the exit code (see runCli). */
export async function runProgram(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    await (await buildProgram(io, argv)).parseAsync([...argv], { from: "user" });
    return 0;
  } catch (error) {
    const { code, line } = describeError(error);
    if (line) io.stderr.write(`${line}\n`);
    return code;
  }
}
