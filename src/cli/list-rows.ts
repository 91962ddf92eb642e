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

/** What a packed field may hold. */
type Kind = "text" | "text or null" | "ms or null" | "tags";

/** The fields of a packed row, in order, with what each may hold: both directions read this. */
const FIELDS: ReadonlyArray<readonly [keyof ListRow, Kind]> = [
  ["name", "text"],
  ["status", "text"],
  ["succeeded", "text"],
  ["startTime", "text or null"],
  ["startMs", "ms or null"],
  ["configuration", "text"],
  ["target", "text"],
  ["completionTime", "text or null"],
  ["job", "text or null"],
  ["layers", "text"],
  ["tags", "tags"],
];

const HOLDS: Record<Kind, (value: unknown) => boolean> = {
  text: (value) => typeof value === "string",
  "text or null": (value) => value === null || typeof value === "string",
  "ms or null": (value) => value === null || typeof value === "number",
  tags: (value) => typeof value === "object" && value !== null && !Array.isArray(value),
};

/** Rows as arrays in FIELDS' order (the cache's body; see rowsFromJson). */
export function rowsToJson(rows: readonly ListRow[]): unknown[][] {
  return rows.map((row) => FIELDS.map(([key]) => row[key]));
}

/** The rows of rowsToJson's output; null when it is not that shape (the cache is then rebuilt). */
export function rowsFromJson(json: unknown): ListRow[] | null {
  if (!Array.isArray(json)) return null;
  const rows: ListRow[] = new Array<ListRow>(json.length);
  for (let i = 0; i < json.length; i++) {
    const item: unknown = json[i];
    if (!isPacked(item)) return null;
    const row: Record<string, unknown> = {};
    for (let j = 0; j < FIELDS.length; j++) row[FIELDS[j]![0]] = item[j];
    rows[i] = row as unknown as ListRow;
  }
  return rows;
}

/** The shape rowsToJson writes (plain loops: this runs for every row of every list). */
function isPacked(item: unknown): item is unknown[] {
  if (!Array.isArray(item) || item.length !== FIELDS.length) return false;
  for (let j = 0; j < FIELDS.length; j++) if (!HOLDS[FIELDS[j]![1]](item[j])) return false;
  return true;
}
