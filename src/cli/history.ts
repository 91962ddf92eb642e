/**
 * `sessions history`: one timeline from two logs. The watched branch's log of the session manifest
 * (who added, changed or removed it, in which commit, and which merge brought that commit in) and
 * the status branch's log of its record (each `Cfs-Session: <name> <state>` trailer). Pure: parses
 * `git log` output and merges it.
 */
import { TRAILER_SESSION, TRAILER_SOURCE_COMMIT } from "../api/index.js";
import { formatTime } from "../plan/duration.js";

/** Field and record separators of the formats below. */
const RS = "\x1e";
const US = "\x1f";
const GS = "\x1d";

/** `git log` format of the manifest log (use with `--name-status`). */
export const MANIFEST_LOG_FORMAT = "%x1e%H%x1f%P%x1f%an <%ae>%x1f%aI%x1f%s";
/** `git log` format of the status log (use with `--name-status`). */
export const STATUS_LOG_FORMAT = "%x1e%H%x1f%aI%x1f%B%x1d";
/** `git log` format of one merge commit. */
export const MERGE_FORMAT = "%H%x1f%an <%ae>%x1f%aI%x1f%s";

/** A commit of the watched branch that touched the manifest. */
export interface ManifestCommit {
  commit: string;
  parents: string[];
  author: string;
  time: string;
  subject: string;
  /** Path and A/M/D letter of each manifest path the commit touched. */
  changes: Array<{ status: string; path: string }>;
}

/** A commit of the status branch that touched the record. */
export interface StatusCommit {
  commit: string;
  time: string;
  /** The session's state from the `Cfs-Session` trailer (`running`, `complete succeeded=true`, `deleted`). */
  state: string;
  source: string | null;
}

/** The merge that brought a manifest commit into the watched branch. */
export interface MergeInfo {
  commit: string;
  author: string;
  time: string;
  subject: string;
}

/** One line of the timeline. */
export type TimelineEvent =
  | {
      time: string;
      kind: "manifest";
      action: "added" | "changed" | "removed";
      commit: string;
      who: string;
      subject: string;
      path: string;
    }
  | { time: string; kind: "merge"; commit: string; who: string; subject: string; of: string }
  | { time: string; kind: "status"; commit: string; state: string; source: string | null };

/** Parses the manifest log (newest first, as git prints it). */
export function parseManifestLog(text: string): ManifestCommit[] {
  return records(text).map((record) => {
    const [header = "", ...rest] = record.split("\n");
    const [commit = "", parents = "", author = "", time = "", subject = ""] = header.split(US);
    const changes = rest
      .map((line) => line.split("\t"))
      .filter((parts) => parts.length >= 2)
      .map(([status = "", path = ""]) => ({ status: status.slice(0, 1), path }));
    return { commit, parents: parents.split(" ").filter(Boolean), author, time, subject, changes };
  });
}

/** Parses the status log of `sessions/<name>.json`. */
export function parseStatusLog(text: string, name: string): StatusCommit[] {
  return records(text).map((record) => {
    const [head = "", files = ""] = record.split(GS);
    const [commit = "", time = "", body = ""] = head.split(US);
    const deleted = /^D\t/m.test(files);
    return {
      commit,
      time,
      state: stateOf(body, name) ?? (deleted ? "deleted" : "updated"),
      source: trailer(body, TRAILER_SOURCE_COMMIT),
    };
  });
}

/** Parses one merge commit printed with MERGE_FORMAT. */
export function parseMerge(text: string): MergeInfo | null {
  const [commit = "", author = "", time = "", subject = ""] = text.trim().split(US);
  return commit === "" ? null : { commit, author, time, subject };
}

function records(text: string): string[] {
  return text
    .split(RS)
    .map((record) => record.replace(/^\n+|\n+$/g, ""))
    .filter((record) => record !== "");
}

function stateOf(body: string, name: string): string | null {
  const prefix = `${TRAILER_SESSION}: ${name} `;
  const line = body.split("\n").find((l) => l.startsWith(prefix));
  return line === undefined ? null : line.slice(prefix.length).trim();
}

function trailer(body: string, key: string): string | null {
  const line = body.split("\n").find((l) => l.startsWith(`${key}: `));
  return line === undefined ? null : line.slice(key.length + 2).trim();
}

/** Inputs of buildTimeline: the logs as git prints them (newest first). */
export interface TimelineInput {
  manifest: readonly ManifestCommit[];
  /** The merge of each manifest commit (absent or null: committed to the branch directly). */
  merges: ReadonlyMap<string, MergeInfo | null>;
  status: readonly StatusCommit[];
}

const ACTIONS: Record<string, "added" | "changed" | "removed"> = { A: "added", M: "changed", D: "removed" };
const KIND_ORDER = { manifest: 0, merge: 1, status: 2 } as const;

/** The events oldest first; repeated status states (progress-only commits) collapse into the first. */
export function buildTimeline(input: TimelineInput): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  const mergesSeen = new Set<string>();
  // git log prints newest first; oldest first keeps commits of the same second in their order.
  for (const commit of [...input.manifest].reverse()) {
    for (const change of commit.changes) {
      const action = ACTIONS[change.status] ?? "changed";
      events.push({
        time: commit.time,
        kind: "manifest",
        action,
        commit: commit.commit,
        who: commit.author,
        subject: commit.subject,
        path: change.path,
      });
    }
    const merge = input.merges.get(commit.commit);
    if (merge && !mergesSeen.has(merge.commit)) {
      mergesSeen.add(merge.commit);
      events.push({
        time: merge.time,
        kind: "merge",
        commit: merge.commit,
        who: merge.author,
        subject: merge.subject,
        of: commit.commit,
      });
    }
  }
  for (const commit of [...input.status].reverse()) {
    events.push({
      time: commit.time,
      kind: "status",
      commit: commit.commit,
      state: commit.state,
      source: commit.source,
    });
  }
  events.sort((a, b) => epoch(a.time) - epoch(b.time) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind]);
  return collapseStatus(events);
}

function collapseStatus(events: TimelineEvent[]): TimelineEvent[] {
  const out: TimelineEvent[] = [];
  let lastState: string | null = null;
  for (const event of events) {
    if (event.kind === "status") {
      if (event.state === lastState) continue;
      lastState = event.state;
    }
    out.push(event);
  }
  return out;
}

function epoch(time: string): number {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? 0 : ms;
}

/** One row per event: time (UTC), event, commit, and what happened. */
export function timelineRows(events: readonly TimelineEvent[]): string[][] {
  return events.map((event) => [
    utc(event.time),
    eventLabel(event),
    event.commit.slice(0, 12),
    detail(event),
  ]);
}

function eventLabel(event: TimelineEvent): string {
  if (event.kind === "manifest") return event.action;
  if (event.kind === "merge") return "merged";
  return event.state.split(" ")[0] ?? event.state;
}

function detail(event: TimelineEvent): string {
  if (event.kind === "manifest") return `${event.path} by ${event.who}: ${event.subject}`;
  if (event.kind === "merge") return `brought ${event.of.slice(0, 12)} in, by ${event.who}: ${event.subject}`;
  const rest = event.state.split(" ").slice(1).join(" ");
  const source = event.source ? `source ${event.source.slice(0, 12)}` : "";
  return ["status", rest, source].filter(Boolean).join(", ");
}

function utc(time: string): string {
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? time : formatTime(new Date(ms));
}
