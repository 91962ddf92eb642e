/**
 * `cfs-gitops sessions release <name>`: end the debug wait of a failed session with
 * debug_on_failure (local runner) at once, as `touch /tmp/complete` does in CFS's ansible container.
 */
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import type { CliIo } from "../io.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";
import { findSession, loadSessions } from "../session-source.js";

/** The file whose creation ends a debug wait (see runners/local/debug-wait.ts). */
const RELEASE_FILE = "complete";

/** Registers `sessions release`. */
export function registerSessionRelease(sessions: Command, io: CliIo): void {
  addRepoOptions(
    sessions
      .command("release <name>")
      .description("end the debug wait of a failed session with debug_on_failure now (local runner)")
      .addHelpText(
        "after",
        `
A session with debug_on_failure whose playbook failed stays running, its work directory kept, for
debug_wait_time seconds (status.debug in \`sessions describe\`). This creates <work_dir>/complete,
as \`touch /tmp/complete\` does in CFS, so the session completes at once. Run it on the machine of
the controller (the work directory is there).

Example:
  cfs-gitops sessions release example-session`,
      ),
  ).action(async (name: string, flags: GlobalFlags) => {
    await withRepo(
      flags,
      async (context) => {
        const record = findSession((await loadSessions(context)).sessions, name);
        const debug = record.status.debug;
        if (debug === undefined)
          throw new CliError(`session ${name} is not waiting for debugging (its record has no status.debug)`);
        await releaseWorkDir(debug.work_dir);
        io.stdout.write(`released ${name}: created ${join(debug.work_dir, RELEASE_FILE)}\n`);
      },
      io,
    );
  });
}

async function releaseWorkDir(workDir: string): Promise<void> {
  try {
    await access(workDir);
  } catch {
    throw new CliError(
      `the work directory ${workDir} is not on this machine: run \`touch ${join(workDir, RELEASE_FILE)}\` where the controller runs`,
    );
  }
  await writeFile(join(workDir, RELEASE_FILE), "");
}
