/**
 * `cfs-gitops pr-check --pr N`: the controller's pull request check, from a CI job (for sites that
 * keep the controller off the forge's network): the `cfs-gitops/validate` status on the head and
 * the preview comment, edited in place. Exit 1 when the pull request brings problems.
 */
import type { Command } from "commander";
import { failureMessage } from "../../api/index.js";
import { isForgeError } from "../../forge/index.js";
import { CliError } from "../errors.js";
import { addForgeOptions, openForge, resolveForgeConfig, type ForgeFlags } from "../forge-config.js";
import { processIo, type CliIo } from "../io.js";
import { checkPullRequest, prCheckCalls } from "../pr-check.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";

type PrCheckFlags = GlobalFlags & ForgeFlags & { pr: string; post: boolean };

/** Registers `pr-check`. */
export function registerPrCheck(program: Command, io: CliIo = processIo()): void {
  const command = addRepoOptions(
    program
      .command("pr-check")
      .description(
        "check a pull request: post the cfs-gitops/validate status and the preview comment (exit 1 on problems)",
      )
      .requiredOption("--pr <n>", "the pull request (GitLab: merge request iid)")
      .option("--no-post", "print the preview only; post nothing"),
  );
  addForgeOptions(command)
    .addHelpText(
      "after",
      `
Does what the controller does on a pull request webhook (README "Pull requests"): when the pull
request changes sessions/, configurations/, components/, sources/ or cfs.yaml, it previews the
merge (as diff --pr does), sets the commit status cfs-gitops/validate on the head and writes one
comment with the preview, edited in place on the next run.

Examples:
  cfs-gitops pr-check --pr "$PR_NUMBER" --repo https://git.example.org/site/config.git \\
    --forge gitea --forge-token-file /run/secrets/forge-token      # in a CI job of the pull request
  cfs-gitops pr-check --pr 12 --repo . --no-post --forge gitlab --forge-url https://gitlab.example.org/api/v4 \\
    --forge-repo hpc/site-config --forge-token-file ~/.config/gitlab-token   # preview only`,
    )
    .action(async (flags: PrCheckFlags) => {
      const pr = Number(flags.pr);
      if (!Number.isInteger(pr) || pr <= 0)
        throw new CliError(`--pr ${flags.pr}: expected a positive number`, 2);
      await withRepo(
        flags,
        async (context) => {
          const config = resolveForgeConfig(flags, io.env, context.config, io.cwd);
          if (config === null) throw new CliError("pr-check needs --forge gitea|github|gitlab", 2);
          const forge = openForge(config);
          const check = await forgeCall(() => checkPullRequest({ forge, context, pr }));
          if (!check.posted) {
            io.stdout.write(`pull request ${pr} not checked: ${check.why}\n`);
            return;
          }
          io.stdout.write(check.comment);
          if (flags.post) for (const call of prCheckCalls(forge, check)) await forgeCall(call.run);
          if (check.state !== "success") throw new CliError(`pull request ${pr}: ${check.description}`);
        },
        io,
      );
    });
}

/** Runs a forge call; its failure becomes one line (exit 1), never a stack. */
async function forgeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isForgeError(error)) throw new CliError(`forge: ${failureMessage(error)}`);
    throw error;
  }
}
