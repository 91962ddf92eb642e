/**
 * CFS's session filters and paging (`cray cfs v3 sessions list|deleteall`), as pure functions:
 * `--status`, `--succeeded`, `--min-age`/`--max-age` (measured from the start time, as CFS does: a
 * session without a start time matches no age filter), `--tags k=v,...` (all must match),
 * `--name-contains`, and `--limit`/`--after` paging over sessions sorted by name.
 */
import { SESSION_STATUSES, SUCCEEDED_VALUES, type SessionStatus, type Succeeded } from "../api/index.js";
import { parseDuration } from "../plan/duration.js";
import { CliError } from "./errors.js";
import { parseTime } from "./output-flags.js";
import type { SessionSummary } from "./session-summary.js";

/** A parsed filter; null fields do not filter. */
export interface SessionFilter {
  status: SessionStatus | null;
  succeeded: Succeeded | null;
  minAgeMs: number | null;
  maxAgeMs: number | null;
  tags: Array<[string, string]>;
  nameContains: string | null;
}

/** The filter flags as typed. */
export interface SessionFilterFlags {
  status?: string;
  succeeded?: string;
  minAge?: string;
  maxAge?: string;
  tags?: string;
  nameContains?: string;
}

/** A filter that matches every session. */
export const NO_FILTER: SessionFilter = {
  status: null,
  succeeded: null,
  minAgeMs: null,
  maxAgeMs: null,
  tags: [],
  nameContains: null,
};

/**
 * Parses the filter flags (exit code 2 on a bad value). `defaultStatus` applies when `--status` is
 * not given (deleteall: `complete`, as CFS); `--status ""` then means any status.
 */
export function parseSessionFilter(
  flags: SessionFilterFlags,
  defaultStatus: SessionStatus | null = null,
): SessionFilter {
  return {
    status:
      parseEnum({ flag: "--status", value: flags.status, allowed: SESSION_STATUSES }) ??
      (flags.status === undefined ? defaultStatus : null),
    succeeded: parseEnum({ flag: "--succeeded", value: flags.succeeded, allowed: SUCCEEDED_VALUES }),
    minAgeMs: parseAge("--min-age", flags.minAge),
    maxAgeMs: parseAge("--max-age", flags.maxAge),
    tags: flags.tags === undefined ? [] : parseTags(flags.tags, "--tags"),
    nameContains: flags.nameContains || null,
  };
}

function parseEnum<T extends string>(input: {
  flag: string;
  value: string | undefined;
  allowed: readonly T[];
}): T | null {
  const { flag, value, allowed } = input;
  if (value === undefined || value === "") return null;
  const found = allowed.find((item) => item === value);
  if (found === undefined) throw new CliError(`${flag} ${value}: use one of ${allowed.join(", ")}`, 2);
  return found;
}

/** An age such as `1d`, `6h`, `30m`, `2w` in milliseconds; empty or absent means no filter. */
export function parseAge(flag: string, value: string | undefined): number | null {
  if (value === undefined || value.trim() === "") return null;
  const ms = parseDuration(value);
  if (ms === null) throw new CliError(`${flag} ${value}: not an age (use e.g. 30m, 6h, 1d, 2w)`, 2);
  return ms;
}

/** `k=v,k2=v2` as pairs; every entry needs a key and `=` (a value may be empty). */
export function parseTags(text: string, flag = "--tags"): Array<[string, string]> {
  const entries = text.split(",").filter((entry) => entry.trim() !== "");
  return entries.map((entry) => {
    const eq = entry.indexOf("=");
    const key = eq < 0 ? "" : entry.slice(0, eq).trim();
    if (key === "") throw new CliError(`${flag} ${text}: expected key=value pairs separated by commas`, 2);
    return [key, entry.slice(eq + 1).trim()];
  });
}

/** True when no filter is set (every session passes). */
export function isNoFilter(filter: SessionFilter): boolean {
  return (
    filter.status === null &&
    filter.succeeded === null &&
    filter.minAgeMs === null &&
    filter.maxAgeMs === null &&
    filter.tags.length === 0 &&
    filter.nameContains === null
  );
}

/** What the filters read of a session: a list row is one (list-rows.ts). */
export interface FilterFields {
  name: string;
  tags: Readonly<Record<string, string>>;
  status: string;
  succeeded: string;
  startTime: string | null;
}

/** True when the session with these fields passes every filter that is set. */
export function matchesFilterFields(fields: FilterFields, filter: SessionFilter, now: Date): boolean {
  if (filter.nameContains !== null && !fields.name.includes(filter.nameContains)) return false;
  if (filter.tags.some(([key, value]) => fields.tags[key] !== value)) return false;
  if (filter.status !== null && fields.status !== filter.status) return false;
  if (filter.succeeded !== null && fields.succeeded !== filter.succeeded) return false;
  return matchesAge(fields.startTime, filter, now);
}

/** True when a session record passes every filter, at time `now`. */
export function matchesSessionFilter(record: SessionSummary, filter: SessionFilter, now: Date): boolean {
  const session = record.status.session;
  const fields = {
    name: record.name,
    tags: record.tags,
    status: session.status,
    succeeded: session.succeeded,
    startTime: session.start_time ?? null,
  };
  return matchesFilterFields(fields, filter, now);
}

function matchesAge(startTime: string | null, filter: SessionFilter, now: Date): boolean {
  if (filter.minAgeMs === null && filter.maxAgeMs === null) return true;
  const started = parseTime(startTime);
  if (started === null) return false;
  const age = now.getTime() - started;
  if (filter.minAgeMs !== null && age < filter.minAgeMs) return false;
  return filter.maxAgeMs === null || age <= filter.maxAgeMs;
}

/** One page of items sorted by name, and the name to pass as `--after` for the next page (or null). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Paging as CFS v3 does it: the items whose name sorts after `after`, at most `limit` of them. */
export function pageByName<T extends { name: string }>(
  all: readonly T[],
  input: { limit: number | null; after: string | null },
): Page<T> {
  const sorted = [...all].sort((a, b) => compareNames(a.name, b.name));
  const after = input.after;
  const rest = after === null ? sorted : sorted.filter((item) => compareNames(item.name, after) > 0);
  if (input.limit === null || rest.length <= input.limit) return { items: rest, next: null };
  const items = rest.slice(0, input.limit);
  return { items, next: items.at(-1)?.name ?? null };
}

/** Parses `--limit` (a whole number of at least 1) or null when absent. */
export function parseLimit(value: string | undefined): number | null {
  if (value === undefined) return null;
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1)
    throw new CliError(`--limit ${value}: must be a whole number of at least 1`, 2);
  return limit;
}

/** Byte order of names (the order CFS pages in). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
