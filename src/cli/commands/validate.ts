/** `cfs-gitops validate`: check manifests the way the controller will, for pre-commit hooks and CI. */
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { formatFindings, unusableInput, validateTree } from "../validate-files.js";

/** Registers `validate`. */
export function registerValidate(program: Command): void {
  program
    .command("validate [paths...]")
    .description("validate manifests in a working tree; prints file:line:col: message, exits 1 on any error")
    .option("--root <dir>", "root of the configuration repository working tree", ".")
    .addHelpText(
      "after",
      `
Checks every manifest the controller reads (sessions/, configurations/, components/, cfs.yaml),
including checks across files (duplicate names, unknown configurations, layer limits); with paths,
reports only on those files or folders. Exits 1 when a manifest has an error, and 2 (checking
nothing) when --root is not a configuration repository or a path does not exist or lies outside it.

Examples:
  cfs-gitops validate
  cfs-gitops validate sessions/new-session.yaml
  git diff --cached --name-only | xargs cfs-gitops validate    # as a pre-commit hook`,
    )
    .action(async (paths: string[], flags: { root: string }) => {
      const unusable = await unusableInput({ root: flags.root, only: paths });
      if (unusable !== null) throw new CliError(unusable, 2);
      const { findings, files } = await validateTree({ root: flags.root, only: paths });
      process.stdout.write(formatFindings(findings));
      if (findings.length > 0) {
        throw new CliError(
          `${findings.length} error${findings.length === 1 ? "" : "s"} in ${new Set(findings.map((f) => f.path)).size} of ${files} files`,
        );
      }
      process.stderr.write(`${files} files valid\n`);
    });
}
