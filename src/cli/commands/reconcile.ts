/** `cfs-gitops reconcile`: ask the controller running on this machine for a pass now. */
import type { Command } from "commander";
import { lockHolder } from "../controller-lock.js";
import { CliError } from "../errors.js";
import { followClone } from "../follow-clone.js";
import { withConfigFile } from "../config-file.js";
import type { CliIo } from "../io.js";
import { addRepoOptions, type GlobalFlags } from "../repo-options.js";
import { resolveCliRepoConfig } from "../repo-config.js";

/** The signal a controller takes as "reconcile now". */
export const RECONCILE_SIGNAL = "SIGHUP";

/** Registers `reconcile`. */
export function registerReconcile(program: Command, io: CliIo): void {
  addRepoOptions(
    program
      .command("reconcile")
      .description("make the controller running on this machine for the repository take a pass now"),
  )
    .addHelpText(
      "after",
      `
The controller is found through the lock file in its data directory (the same --repo and
--data-dir as the controller's, or their defaults); it gets SIGHUP and starts a pass at once
instead of waiting for its next poll.

Example:
  cfs-gitops reconcile --repo https://git.example.org/site/config.git`,
    )
    .action(async (flags: GlobalFlags) => {
      const env = withConfigFile({ cwd: io.cwd, env: io.env });
      const config = await followClone(resolveCliRepoConfig(flags, io), { env, dataDir: flags.dataDir });
      const holder = await lockHolder(config.dataDir);
      if (holder === null)
        throw new CliError(
          `no controller is running for ${config.repo} here (no live lock in ${config.dataDir})`,
        );
      process.kill(holder.pid, RECONCILE_SIGNAL);
      io.stderr.write(`asked the controller (pid ${holder.pid}) to reconcile now\n`);
    });
}
