/**
 * Runs a command line: the few plain ones quick.ts answers before anything else loads, every
 * other (and any quick.ts declines) through the parser (program.ts, loaded then).
 */
import type { CliIo } from "./io.js";

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit code. The seam
 * tests run commands through in-process, with their own streams, environment and clock.
 */
export async function runCli(argv: readonly string[], given?: CliIo): Promise<number> {
  const io = given ?? (await import("./io.js")).processIo(); // not loaded for --version
  if (argv[0] === "sessions" && (argv[1] === "list" || argv[1] === "describe")) {
    const { answerQuickly } = await import("./quick.js");
    if (await answerQuickly(argv, io)) return 0;
  }
  const { runProgram } = await import("./program.js");
  return runProgram(argv, io);
}
