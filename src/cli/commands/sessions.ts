/**
 * `cfs-gitops sessions ...`: the verbs of `cray cfs v3 sessions`, over Git. Reads come from the
 * status branch (and the watched branch, for sessions not recorded yet); writes are commits.
 */
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { followLogs, printLogs } from "../session-logs.js";
import { pagedData, parseFormatOf, renderData, renderTable, sessionTable } from "../output.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";
import { timelineRows } from "../history.js";
import { readSessionHistory } from "../session-history.js";
import { findSession, loadSessions } from "../session-source.js";
import {
  matchesSessionFilter,
  pageByName,
  parseLimit,
  parseSessionFilter,
  type SessionFilterFlags,
} from "../session-filters.js";
import { registerSessionRelease } from "./sessions-release.js";
import { registerSessionWrites, addFilterOptions } from "./sessions-write.js";

/** Registers the `sessions` command group. */
export function registerSessions(program: Command, io: CliIo = processIo()): void {
  const sessions = program
    .command("sessions")
    .description("CFS sessions over Git: create, list, describe, logs, history, delete, deleteall")
    .addHelpText(
      "after",
      `
Examples:
  cfs-gitops sessions create --name s1 --configuration-name site --wait
  cfs-gitops sessions list --status running
  cfs-gitops sessions describe s1 --format yaml
  cfs-gitops sessions deleteall --max-age 7d --yes`,
    );
  registerList(sessions, io);
  registerDescribe(sessions, io);
  registerLogs(sessions, io);
  registerHistory(sessions, io);
  registerSessionWrites(sessions, io);
  registerSessionRelease(sessions, io);
}

type ListFlags = GlobalFlags & SessionFilterFlags & { format: string; limit?: string; after?: string };

function registerList(sessions: Command, io: CliIo): void {
  addFilterOptions(
    addRepoOptions(
      sessions
        .command("list")
        .description("list sessions, filtered like `cray cfs v3 sessions list`")
        .option("--format <format>", "table, json or yaml", "table")
        .option("--limit <n>", "at most n sessions (sorted by name); see --after")
        .option("--after <name>", "only sessions whose name sorts after this one (the next page)")
        .addHelpText(
          "after",
          `
Sessions merged but not yet picked up by the controller are listed as pending.

Examples:
  cfs-gitops sessions list --status running
  cfs-gitops sessions list --succeeded false --max-age 1d --format json
  cfs-gitops sessions list --tags bos_session=abc --limit 20 --after s-0042`,
        ),
    ),
  ).action(async (flags: ListFlags) => {
    const format = parseFormatOf(flags.format, ["table", "json", "yaml"] as const);
    const filter = parseSessionFilter(flags);
    const limit = parseLimit(flags.limit);
    await withRepo(
      flags,
      async (context) => {
        const { sessions: all } = await loadSessions(context);
        const now = io.now();
        const matching = all.filter((record) => matchesSessionFilter(record, filter, now));
        const page = pageByName(matching, { limit, after: flags.after ?? null });
        if (format === "table") {
          io.stdout.write(sessionTable(page.items));
          if (page.next !== null) io.stderr.write(`more sessions: add --after ${page.next}\n`);
          return;
        }
        const params = { limit, ...cfsFilterParams(flags) };
        io.stdout.write(
          renderData(pagedData({ key: "sessions", items: page.items, next: page.next, params }), format),
        );
      },
      io,
    );
  });
}

/** The filter flags under the query parameter names of the CFS API (for `next`). */
function cfsFilterParams(flags: SessionFilterFlags): Record<string, string | null> {
  return {
    status: flags.status ?? null,
    succeeded: flags.succeeded ?? null,
    min_age: flags.minAge ?? null,
    max_age: flags.maxAge ?? null,
    tags: flags.tags ?? null,
    name_contains: flags.nameContains ?? null,
  };
}

function registerDescribe(sessions: Command, io: CliIo): void {
  addRepoOptions(
    sessions
      .command("describe <name>")
      .description("show one session record, in the shape of `cray cfs v3 sessions describe`")
      .option("--format <format>", "json or yaml", "json")
      .addHelpText(
        "after",
        `
The record has exactly the keys CFS prints, plus documented extensions under status
(layers, steps, source, reason). Like CFS, an unfinished session prints completion_time: null.

Example:
  cfs-gitops sessions describe example-session --format yaml`,
      ),
  ).action(async (name: string, flags: GlobalFlags & { format: string }) => {
    const format = parseFormatOf(flags.format, ["json", "yaml"] as const);
    await withRepo(
      flags,
      async (context) => {
        const record = findSession((await loadSessions(context)).sessions, name);
        io.stdout.write(renderData(record, format));
      },
      io,
    );
  });
}

function registerLogs(sessions: Command, io: CliIo): void {
  addRepoOptions(
    sessions
      .command("logs <name>")
      .description("print the logs of a session's steps (git-clone-<i>, inventory, ansible-<i>, teardown)")
      .option("-c, --step <step>", "only this step, e.g. ansible-0")
      .option("-f, --follow", "keep printing as the session runs, until it completes")
      .addHelpText(
        "after",
        `
Logs of a finished session are read from the status branch (logs/<name>/<step>.log); while it
runs, from the local runner's data directory (--data-dir) when the controller runs on this machine.

Examples:
  cfs-gitops sessions logs example-session -c ansible-1
  cfs-gitops sessions logs example-session --follow`,
      ),
  ).action(async (name: string, flags: GlobalFlags & { step?: string; follow?: boolean }) => {
    await withRepo(
      flags,
      async (context) => {
        const input = { context, name, step: flags.step ?? null };
        if (flags.follow) await followLogs({ ...input, intervalMs: 1_000 });
        else await printLogs(input);
      },
      io,
    );
  });
}

function registerHistory(sessions: Command, io: CliIo): void {
  addRepoOptions(
    sessions
      .command("history <name>")
      .description("one timeline: the manifest's commits and merges, and the status transitions")
      .option("--format <format>", "table, json or yaml", "table")
      .addHelpText(
        "after",
        `
Who added the session's manifest, in which commit, which merge (pull request) brought it into the
watched branch, and every status transition recorded on the status branch, oldest first.

Example:
  cfs-gitops sessions history example-session`,
      ),
  ).action(async (name: string, flags: GlobalFlags & { format: string }) => {
    const format = parseFormatOf(flags.format, ["table", "json", "yaml"] as const);
    await withRepo(
      flags,
      async (context) => {
        const statusTip = (await context.status.load()).tip;
        const watchedTip = await context.source.fetchTip();
        const events = await readSessionHistory({ gitDir: context.gitDir, name, watchedTip, statusTip });
        if (events.length === 0) throw new CliError(`Session ${name} could not be found`);
        io.stdout.write(
          format === "table"
            ? renderTable(["TIME", "EVENT", "COMMIT", "DETAIL"], timelineRows(events))
            : renderData(events, format),
        );
      },
      io,
    );
  });
}
