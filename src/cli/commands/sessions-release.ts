/**
 * `cfs-gitops sessions release <name>`: end the debug wait of a failed session with
 * debug_on_failure (local runner) at once, as `touch /tmp/complete` does in CFS's ansible container.
 * On the kubernetes runner the wait is in the Job's ansible container: it prints the `kubectl exec`
 * that ends it (pods/exec needs a websocket stream and RBAC the controller does not have).
 */
import { access, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import type { CliIo } from "../io.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";

/** The file whose creation ends a debug wait (see runners/local/debug-wait.ts). */
const RELEASE_FILE = "complete";

/** Registers `sessions release`. */
export function registerSessionRelease(sessions: Command, io: CliIo): void {
  addRepoOptions(
    sessions
      .command("release <name>")
      .description(
        "end the debug wait of a failed session with debug_on_failure now (kubernetes: print the kubectl exec)",
      )
      .addHelpText(
        "after",
        `
A session with debug_on_failure whose playbook failed stays running, its work directory kept, for
debug_wait_time seconds (status.debug in \`sessions describe\`). This creates <work_dir>/complete,
as \`touch /tmp/complete\` does in CFS, so the session completes at once. Run it on the machine of
the controller (the work directory is there). With the kubernetes runner the session waits in its
Job's ansible container: this prints the \`kubectl exec ... -- touch /tmp/complete\` that ends it.

Example:
  cfs-gitops sessions release example-session`,
      ),
  ).action(async (name: string, flags: GlobalFlags) => {
    await withRepo(
      flags,
      async (context) => {
        const { findSession, loadSessions } = await import("../session-source.js"); // the parser: when it runs
        const record = findSession((await loadSessions(context)).sessions, name);
        const debug = record.status.debug;
        if (debug === undefined)
          throw new CliError(`session ${name} is not waiting for debugging (its record has no status.debug)`);
        if (isKubectlRelease(debug.release)) {
          // Kubernetes runner: the wait is in the Job's ansible container (CFS's /tmp/complete).
          io.stdout.write(
            `session ${name} waits in its Job's ansible container; end the wait with:\n  ${debug.release}\n`,
          );
          return;
        }
        await releaseWorkDir(debug.work_dir);
        io.stdout.write(`released ${name}: created ${join(debug.work_dir, RELEASE_FILE)}\n`);
      },
      io,
    );
  });
}

/** Whether the wait is released with `kubectl exec` (the kubernetes runner's release command). */
function isKubectlRelease(release: string): boolean {
  return release.startsWith("kubectl exec ");
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
