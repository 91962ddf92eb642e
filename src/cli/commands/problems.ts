/**
 * `cfs-gitops problems`: every manifest that cannot be used, at a glance, for a person or a CI job:
 * the watched branch checked with the controller's own rules, with what the controller recorded
 * under `problems/` on the status branch. Exit code 1 when there is any.
 */
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { addOutputOptions, parseOutput, type OutputFlags } from "../output-flags.js";
import { renderData } from "../output.js";
import { errorCount, problemLines, problemsOf } from "../problems.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";
import { loadSessions } from "../session-source.js";

const OUTPUTS = ["lines", "json", "yaml"] as const;

/** Registers `problems`. */
export function registerProblems(program: Command, io: CliIo = processIo()): void {
  addRepoOptions(
    addOutputOptions(
      program
        .command("problems")
        .description(
          "list every manifest the controller cannot use, as file:line:col: message (exit 1 if any)",
        ),
      { allowed: OUTPUTS, table: false },
    ).addHelpText(
      "after",
      `
Checks the watched branch as the controller does (schemas, names, references, layer limits) and
adds what the controller recorded on the status branch (problems/<path>.json: edits of sessions
that ran, unreadable status files). Completed and expired sessions are not checked against their
configuration again. Exit code 1 when there are problems, 0 when there are none.

Examples:
  cfs-gitops problems
  cfs-gitops problems -o json | jq '.[].path'
  cfs-gitops problems --repo https://git.example.org/site/config.git || exit 1   # in CI`,
    ),
  ).action(async (flags: GlobalFlags & OutputFlags) => {
    const output = parseOutput(flags, OUTPUTS);
    await withRepo(
      flags,
      async (context) => {
        const problems = await problemsOf(await loadSessions(context));
        io.stdout.write(output === "lines" ? problemLines(problems) : renderData(problems, output));
        if (problems.length === 0) {
          io.stderr.write("no problems\n");
          return;
        }
        const count = errorCount(problems);
        throw new CliError(
          `${count} problem${count === 1 ? "" : "s"} in ${problems.length} file${problems.length === 1 ? "" : "s"}`,
        );
      },
      io,
    );
  });
}
