/**
 * `cfs-gitops sessions ...`: the verbs of `cray cfs v3 sessions`, over Git. Reads come from the
 * status branch (and the watched branch, for sessions not recorded yet); writes are commits. What
 * only one verb uses loads in its action: a `sessions list` answered from its cache loads no
 * parser, and `describe` no list.
 */
import type { Command } from "commander";
import type { ProblemRecord } from "../../api/index.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import {
  addOutputOptions,
  colourOn,
  DESCRIBE_OUTPUTS,
  paintFor,
  parseOutput,
  type OutputFlags,
} from "../output-flags.js";
import { parseFormatOf, renderData, renderTable } from "../output.js";
import { invalidSessions } from "../problems.js";
import { renderSessionList, renderTableTemplate, type ListedPage } from "../session-list.js";
import { addRepoOptions, withRepo, type GlobalFlags, type RepoContext } from "../repo-options.js";
import { defaultTable, listRows, listSessions } from "../session-list-cache.js";
import {
  compareNames,
  isNoFilter,
  matchesFilterFields,
  matchesSessionFilter,
  pageByName,
  parseLimit,
  parseSessionFilter,
  type SessionFilter,
  type SessionFilterFlags,
} from "../session-filters.js";
import { registerSessionRelease } from "./sessions-release.js";
import { durationFlag, registerSessionWait } from "./sessions-wait.js";
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
  cfs-gitops sessions describe s1 -o yaml
  cfs-gitops sessions wait s1 --timeout 30m
  cfs-gitops sessions deleteall --min-age 7d          # complete sessions older than 7 days; asks first`,
    );
  registerList(sessions, io);
  registerDescribe(sessions, io);
  registerLogs(sessions, io);
  registerHistory(sessions, io);
  registerSessionWait(sessions, io);
  registerSessionWrites(sessions, io);
  registerSessionRelease(sessions, io);
}

type ListFlags = GlobalFlags &
  SessionFilterFlags &
  OutputFlags & { limit?: string; after?: string; watch?: boolean; pollInterval?: string };

const LIST_OUTPUTS = ["table", "wide", "name", "json", "yaml"] as const;

function registerList(sessions: Command, io: CliIo): void {
  addFilterOptions(
    addRepoOptions(
      addOutputOptions(
        sessions
          .command("list")
          .description("list sessions, filtered like `cray cfs v3 sessions list`; invalid manifests too")
          .option("--limit <n>", "at most n sessions (sorted by name); see --after")
          .option("--after <name>", "only sessions whose name sorts after this one (the next page)")
          .option("-w, --watch", "print the list again whenever it changes, until interrupted")
          .option("--poll-interval <duration>", "with --watch: how often to read the branches (default 2s)")
          .addHelpText(
            "after",
            `
Sessions merged but not yet picked up by the controller are listed as pending. A session manifest
that cannot be used is listed with status invalid and its file:line:col (--status invalid lists
only those; json and yaml put them under "invalid", beside CFS's "sessions").

Examples:
  cfs-gitops sessions list --status running
  cfs-gitops sessions list --status invalid
  cfs-gitops sessions list --succeeded false --max-age 1d -o json
  cfs-gitops sessions list -o wide --tags bos_session=abc --limit 20 --after s-0042
  cfs-gitops sessions list --watch --status running`,
          ),
        { allowed: LIST_OUTPUTS, table: true },
      ),
    ),
  ).action(async (flags: ListFlags) => {
    const output = parseOutput(flags, LIST_OUTPUTS);
    const invalidOnly = flags.status === "invalid";
    const filter = parseSessionFilter(invalidOnly ? { ...flags, status: "" } : flags);
    const limit = parseLimit(flags.limit);
    const intervalMs = flags.watch ? durationFlag("--poll-interval", flags.pollInterval ?? "2s") : 0;
    const list = { flags, output, filter, invalidOnly, limit };
    await withRepo(
      flags,
      async (context) => {
        if (!flags.watch) {
          const { text, note } = await listText({ context, io, ...list });
          io.stdout.write(text);
          if (note) io.stderr.write(note);
          return;
        }
        let last = "";
        for (;;) {
          const { text } = await listText({ context, io, ...list });
          if (text !== last)
            io.stdout.write(`${io.stdout.isTTY ? "\x1b[H\x1b[2J" : last ? "\n" : ""}${text}`);
          last = text;
          await io.sleep(intervalMs);
        }
      },
      io,
    );
  });
}

/** One `sessions list` as asked: the repository, the flags and what was parsed of them. */
interface ListRequest {
  context: RepoContext;
  io: CliIo;
  flags: ListFlags;
  output: (typeof LIST_OUTPUTS)[number];
  filter: SessionFilter;
  invalidOnly: boolean;
  limit: number | null;
}

/** One rendering of `sessions list`, and the note for stderr (more pages). */
async function listText(input: ListRequest): Promise<{ text: string; note: string }> {
  const { io, flags, filter, invalidOnly, limit } = input;
  const now = io.now();
  const template = isDefaultTable(input) ? await defaultTable(input.context) : null;
  if (template !== null) return { text: renderTableTemplate(template, now), note: "" };
  const { listed, problems, names } = await listedPage({ ...input, now });
  const invalid = invalidSessions({ problems, recorded: names }).filter((session) =>
    invalidMatches(session.name, { filter, invalidOnly, after: flags.after }),
  );
  const params = { limit, ...cfsFilterParams(flags) };
  const paint = paintFor(io);
  const headers = flags.headers !== false;
  const text = renderSessionList({ listed, invalid, headers, now, paint, params });
  const next = listed.page.next;
  return {
    text,
    note: next !== null && listed.kind === "rows" ? `more sessions: add --after ${next}\n` : "",
  };
}

/** A bare `sessions list` (a whole table with headers, no colour): answered from its template. */
function isDefaultTable(input: ListRequest): boolean {
  const { flags } = input;
  const whole =
    input.limit === null && flags.after === undefined && !input.invalidOnly && isNoFilter(input.filter);
  return whole && input.output === "table" && flags.headers !== false && !colourOn(input.io);
}

/**
 * The sessions of the page, and what the invalid rows need: for json and yaml whole records; for
 * tables and names only rows, which a list whose branches did not move reads from its answer
 * cache (listRows).
 */
async function listedPage(
  input: ListRequest & { now: Date },
): Promise<{ listed: ListedPage; problems: ProblemRecord[]; names: Set<string> }> {
  const { context, output, filter, invalidOnly, now } = input;
  const paging = { limit: input.limit, after: input.flags.after ?? null };
  if (output === "json" || output === "yaml") {
    const all = await listSessions(context);
    const matching = invalidOnly ? [] : all.sessions.filter((r) => matchesSessionFilter(r, filter, now));
    const summaries = pageByName(matching, paging);
    const page = { ...summaries, items: await all.whole(summaries.items) };
    const names = new Set(all.sessions.map((record) => record.name));
    return { listed: { kind: "records", output, page }, problems: all.problems, names };
  }
  const all = await listRows(context);
  const matching = invalidOnly ? [] : all.rows.filter((row) => matchesFilterFields(row, filter, now));
  const names = new Set(all.rows.map((row) => row.name));
  return {
    listed: { kind: "rows", output, page: pageByName(matching, paging) },
    problems: all.problems,
    names,
  };
}

/**
 * An invalid manifest is listed unless a filter it cannot match is given (a status other than
 * invalid, succeeded, ages, tags); --name-contains and --after apply to its name.
 */
function invalidMatches(
  name: string,
  input: { filter: SessionFilter; invalidOnly: boolean; after: string | undefined },
): boolean {
  const { filter } = input;
  const other =
    (filter.status !== null && !input.invalidOnly) ||
    filter.succeeded !== null ||
    filter.minAgeMs !== null ||
    filter.maxAgeMs !== null ||
    filter.tags.length > 0;
  if (other) return false;
  if (filter.nameContains !== null && !name.includes(filter.nameContains)) return false;
  return input.after === undefined || compareNames(name, input.after) > 0;
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
    addOutputOptions(
      sessions
        .command("describe <name>")
        .description("show one session record, in the shape of `cray cfs v3 sessions describe`")
        .addHelpText(
          "after",
          `
The record has exactly the keys CFS prints, plus documented extensions under status
(layers, steps, source, reason). Like CFS, an unfinished session prints completion_time: null.
A session whose manifest cannot be used prints its problems as file:line:col: message (exit 1);
a recorded session whose manifest has a problem (an edit) gets those lines on stderr.

Examples:
  cfs-gitops sessions describe example-session -o yaml
  cfs-gitops sessions describe example-session -o json | jq .status.reason`,
        ),
      { allowed: DESCRIBE_OUTPUTS, table: false },
    ),
  ).action(async (name: string, flags: GlobalFlags & OutputFlags) => {
    const output = parseOutput(flags, DESCRIBE_OUTPUTS);
    const loading = import("../describe-session.js"); // loads while the repository opens
    await withRepo(
      flags,
      async (context) => (await loading).describeSession({ context, name, output, io }),
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
        const { followLogs, printLogs } = await import("../session-logs.js");
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
        const [{ readSessionHistory }, { timelineRows }] = await Promise.all([
          import("../session-history.js"),
          import("../history.js"),
        ]);
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
