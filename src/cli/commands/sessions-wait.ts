/**
 * `sessions wait NAME` (as `kubectl wait`): follow a session that exists until it completes, the
 * way `sessions create --wait` does; and `sessions list --watch`: the table again whenever it
 * changes. Exit code 1 when the session ends with succeeded other than true, or at --timeout.
 */
import type { Command } from "commander";
import { parseDuration } from "../../plan/duration.js";
import { CliError } from "../errors.js";
import type { CliIo } from "../io.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";

type WaitFlags = GlobalFlags & { timeout?: string; pollInterval: string };

/** Registers `sessions wait`. */
export function registerSessionWait(sessions: Command, io: CliIo): void {
  addRepoOptions(
    sessions
      .command("wait <name>")
      .description("follow a session until it completes; exit 1 unless it succeeded")
      .option("--timeout <duration>", "give up after this long (e.g. 30m); exit 1")
      .option("--poll-interval <duration>", "how often to read the status branch", "2s")
      .addHelpText(
        "after",
        `
On a terminal one line redrawn in place (state, step, layer, elapsed), otherwise a line per change.
Exit code 0 when the session succeeded, 1 when it failed, ended unknown, was deleted, its manifest
cannot be used, or at --timeout (the session goes on).

Examples:
  cfs-gitops sessions wait nodes-0427
  cfs-gitops sessions wait nodes-0427 --timeout 30m && echo configured`,
      ),
  ).action(async (name: string, flags: WaitFlags) => {
    const intervalMs = durationFlag("--poll-interval", flags.pollInterval);
    const timeoutMs = flags.timeout === undefined ? null : durationFlag("--timeout", flags.timeout);
    await withRepo(
      flags,
      async (context) => {
        const { findSession, loadSessions } = await import("../session-source.js"); // the parser: when it runs
        const record = findSession((await loadSessions(context)).sessions, name);
        // wait.js loads the local runner's modules (for live step logs): only when a wait runs.
        const { waitForSession } = await import("../wait.js");
        const done = await waitForSession({
          name,
          path: record.status.source.path,
          status: context.status,
          io,
          intervalMs,
          timeoutMs,
          dataDir: context.config.dataDir,
        });
        const succeeded = done.status.session.succeeded;
        if (succeeded === "true") return;
        const reason = done.status.reason ? `: ${done.status.reason}` : "";
        const how = succeeded === "false" ? "failed" : `ended with succeeded=${succeeded}`;
        throw new CliError(`session ${name} ${how}${reason}`);
      },
      io,
    );
  });
}

/** A positive duration flag (exit code 2 otherwise). */
export function durationFlag(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0) throw new CliError(`${flag} ${text}: not a duration (e.g. 2s, 30m)`, 2);
  return ms;
}
