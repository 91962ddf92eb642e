/** Output formats of the read commands: a table for people, json or yaml for scripts (as `cray` offers). */
import { stringify } from "yaml";
import type { SessionRecord } from "../api/index.js";

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
  return format === "json" ? `${JSON.stringify(value, null, 2)}\n` : stringify(value);
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
