/** Output formats of the read commands: a table for people, json or yaml for scripts (as `cray` offers). */
import { yaml } from "../manifest/yaml-library.js";
import type { SessionRecord } from "../api/index.js";
import { CliError } from "./errors.js";

/** Output format flag values. */
export type Format = "table" | "json" | "yaml";

/** Renders rows as an aligned text table with a header. */
export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(headers), ...rows.map(line)].join("\n") + "\n";
}

/** Renders a value as json or yaml. */
export function renderData(value: unknown, format: "json" | "yaml"): string {
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : yaml().stringify(value);
}

/** The session table: what `cray cfs v3 sessions list` users look at first. */
export function sessionTable(records: SessionRecord[]): string {
  const rows = records.map((r) => [
    r.name,
    r.status.session.status,
    r.status.session.succeeded,
    r.configuration.name,
    r.target.definition,
    r.status.session.start_time ?? "-",
    r.status.session.completion_time ?? "-",
    layerSummary(r),
  ]);
  return renderTable(
    ["NAME", "STATUS", "SUCCEEDED", "CONFIGURATION", "TARGET", "START", "COMPLETION", "LAYERS"],
    rows,
  );
}

function layerSummary(record: SessionRecord): string {
  const layers = record.status.layers;
  if (layers.length === 0) return "-";
  const done = layers.filter((l) => l.status === "succeeded").length;
  const failed = layers.find((l) => l.status === "failed");
  return failed ? `${done}/${layers.length} (failed: ${failed.name})` : `${done}/${layers.length}`;
}

/** Parses a `--format` value among the allowed ones (exit code 2 otherwise). */
export function parseFormatOf<T extends string>(text: string, allowed: readonly T[]): T {
  const found = allowed.find((format) => format === text);
  if (found === undefined) throw new CliError(`--format ${text}: use ${allowed.join(", ")}`, 2);
  return found;
}

/**
 * A page of a list as `cray cfs v3 ... list --format json` prints it: the items under `key` and
 * `next` (null on the last page, else the parameters that fetch the next page, `after_id` included).
 */
export function pagedData(input: {
  key: string;
  items: unknown[];
  next: string | null;
  params: Record<string, string | number | null>;
}): Record<string, unknown> {
  const params = Object.fromEntries(Object.entries(input.params).filter(([, value]) => value !== null));
  return { [input.key]: input.items, next: input.next === null ? null : { ...params, after_id: input.next } };
}
