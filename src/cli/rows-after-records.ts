/**
 * The rows of the last `sessions list` brought forward when only session records changed since:
 * the controller recording transitions, which is what moves the status branch while it runs. A
 * recorded session is listed as its record says (sessionViews), and a record settles nothing any
 * other row depends on, so each changed record's row is replaced (or added) and every other row is
 * kept. Anything else (the watched branch moved, a record deleted or unreadable, an expiry note, a
 * problem) is not brought forward: the caller computes the list anew.
 */
import { sessionNameOfRecordPath } from "../api/index.js";
import type { ChangedFile } from "../git/types.js";
import { listRowOf, type ListRow } from "./list-rows.js";
import { statusKind, type ListContext, type ListedRows, type Tips } from "./session-list-cache.js";
import { compareNames } from "./session-filters.js";
import { summarizeSession } from "./session-summary.js";

/** The rows at `to`, from those kept at `from`; undefined when they cannot be brought forward. */
export async function rowsAfterRecords(input: {
  context: Pick<ListContext, "source" | "status">;
  kept: ListedRows;
  from: Tips;
  to: Tips;
}): Promise<ListedRows | undefined> {
  const { context, from, to } = input;
  if (from.watched !== to.watched || from.status === null || to.status === null) return undefined;
  const changes = (await context.source.diff(from.status, to.status)).filter(isListed);
  if (!changes.every((change) => recordName(change) !== null && change.oid !== null)) return undefined;
  const blobs = await context.status.readBlobs(changes.map((change) => change.oid ?? ""));
  const rows: ListRow[] = [];
  for (const change of changes) {
    const row = rowOf(blobs.get(change.oid ?? ""));
    if (row === undefined || row.name !== recordName(change)) return undefined;
    rows.push(row);
  }
  return { rows: withRows(input.kept.rows, rows), problems: input.kept.problems };
}

/** `rows` with each of `changed` in place of the row of its name, or added in name order. Pure. */
export function withRows(rows: readonly ListRow[], changed: readonly ListRow[]): ListRow[] {
  const byName = new Map(changed.map((row) => [row.name, row]));
  const out = rows.map((row) => byName.get(row.name) ?? row);
  const present = new Set(rows.map((row) => row.name));
  const added = changed.filter((row) => !present.has(row.name));
  return added.length === 0 ? out : [...out, ...added].sort((a, b) => compareNames(a.name, b.name));
}

/** Files of the status branch a list reads (records, expiry notes, problems); step logs are not. */
function isListed(change: ChangedFile): boolean {
  return statusKind(change.path) !== null;
}

function recordName(change: ChangedFile): string | null {
  return sessionNameOfRecordPath(change.path);
}

/** The row of a record's bytes; undefined when they are not a record a list can show. */
function rowOf(data: Buffer | undefined): ListRow | undefined {
  if (data === undefined) return undefined;
  try {
    return listRowOf(summarizeSession(JSON.parse(data.toString("utf8")) as unknown));
  } catch {
    return undefined;
  }
}
