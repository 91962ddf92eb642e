/**
 * A session as a row of `sessions list` in a table, wide table or name list: the cells it prints
 * and the fields its filters read, and no more. The rows of a list are what its answer cache
 * (session-list-cache.ts) keeps, as arrays without keys: on 10,000 sessions about 2 MB, read back
 * in a few milliseconds, where the summaries they come from take ten times as long. Pure.
 */
import { parseTime } from "./output-flags.js";
import type { FilterFields } from "./session-filters.js";
import type { SessionSummary } from "./session-summary.js";

/** One session's row. */
export interface ListRow extends FilterFields {
  /** startTime in ms (parseTime), for AGE. */
  startMs: number | null;
  configuration: string;
  target: string;
  completionTime: string | null;
  job: string | null;
  /** `done/total`, `done/total (failed: name)` or `-` (no layers). */
  layers: string;
}

/** The row of a session (a recorded summary, or the record of a session not recorded yet). */
export function listRowOf(record: SessionSummary): ListRow {
  const session = record.status.session;
  return {
    name: record.name,
    tags: record.tags,
    status: session.status,
    succeeded: session.succeeded,
    startTime: session.start_time ?? null,
    startMs: parseTime(session.start_time ?? null),
    configuration: record.configuration.name,
    target: record.target.definition,
    completionTime: session.completion_time ?? null,
    job: session.job ?? null,
    layers: layerSummary(record.status.layers),
  };
}

function layerSummary(layers: SessionSummary["status"]["layers"]): string {
  if (layers.length === 0) return "-";
  const done = layers.filter((l) => l.status === "succeeded").length;
  const failed = layers.find((l) => l.status === "failed");
  return failed ? `${done}/${layers.length} (failed: ${failed.name})` : `${done}/${layers.length}`;
}

type Tags = Readonly<Record<string, string>>;
type Text = string | null;
type Packed = [string, string, string, Text, number | null, string, string, Text, Text, string, Tags];

/** Rows as arrays in a fixed order (the cache's body; see rowsFromJson). */
export function rowsToJson(rows: readonly ListRow[]): Packed[] {
  return rows.map((r) => [
    r.name,
    r.status,
    r.succeeded,
    r.startTime,
    r.startMs,
    r.configuration,
    r.target,
    r.completionTime,
    r.job,
    r.layers,
    r.tags,
  ]);
}

/** The rows of rowsToJson's output; null when it is not that shape (the cache is then rebuilt). */
export function rowsFromJson(json: unknown): ListRow[] | null {
  if (!Array.isArray(json)) return null;
  const rows: ListRow[] = new Array<ListRow>(json.length);
  for (let i = 0; i < json.length; i++) {
    const item: unknown = json[i];
    if (!isPacked(item)) return null;
    const [
      name,
      status,
      succeeded,
      startTime,
      startMs,
      configuration,
      target,
      completionTime,
      job,
      layers,
      tags,
    ] = item;
    rows[i] = {
      name,
      status,
      succeeded,
      startTime,
      startMs,
      configuration,
      target,
      completionTime,
      job,
      layers,
      tags,
    };
  }
  return rows;
}

/** The shape rowsToJson writes (plain checks: this runs for every row of every list). */
function isPacked(item: unknown): item is Packed {
  if (!Array.isArray(item) || item.length !== 11) return false;
  const tags: unknown = item[10];
  return (
    isText(item, [0, 1, 2, 5, 6, 9], false) &&
    isText(item, [3, 7, 8], true) &&
    (item[4] === null || typeof item[4] === "number") &&
    typeof tags === "object" &&
    tags !== null &&
    !Array.isArray(tags)
  );
}

/** True when every item at `at` is a string (or null, when `nullable`). */
function isText(item: readonly unknown[], at: readonly number[], nullable: boolean): boolean {
  for (const i of at) {
    const value = item[i];
    if (typeof value !== "string" && !(nullable && value === null)) return false;
  }
  return true;
}
