/**
 * `sessions list` output: the records (and pending manifests) as CFS lists them, and the session
 * manifests that cannot be used as rows with status `invalid`, so a broken main shows at a glance.
 * Tables for people (`wide` adds times, job and tags), names for scripts, json/yaml in CFS's shape
 * with the invalid manifests under their own key. Pure.
 */
import type { SessionRecord } from "../api/index.js";
import { formatManifestError } from "../manifest/index.js";
import { formatAge, renderColumns, type Colour, type OutputFormat, type Paint } from "./output-flags.js";
import { pagedData, renderData } from "./output.js";
import type { InvalidSession } from "./problems.js";
import { compareNames, type Page } from "./session-filters.js";
import type { SessionSummary } from "./session-summary.js";

/** What one `sessions list` prints. */
export interface SessionListInput {
  /** Whole records for json and yaml; summaries are enough for the tables and names. */
  page: Page<SessionRecord> | Page<SessionSummary>;
  invalid: readonly InvalidSession[];
  output: OutputFormat;
  headers: boolean;
  now: Date;
  paint: Paint;
  /** The CFS query parameters of the filters (for `next`). */
  params: Record<string, string | number | null>;
}

type Cell = { text: string; colour?: Colour | null };

const HEADERS = ["NAME", "STATUS", "SUCCEEDED", "CONFIGURATION", "TARGET", "AGE", "LAYERS"];
const WIDE_HEADERS = [...HEADERS, "START", "COMPLETION", "JOB", "TAGS"];

/** The text `sessions list` writes to stdout. */
export function renderSessionList(input: SessionListInput): string {
  const { page, invalid, output } = input;
  if (output === "json" || output === "yaml") {
    const data = pagedData({ key: "sessions", items: page.items, next: page.next, params: input.params });
    const problems = invalid.map((session) => ({ ...session, status: "invalid" }));
    return renderData(problems.length === 0 ? data : { ...data, invalid: problems }, output);
  }
  const rows = [
    ...page.items.map((record) => ({ name: record.name, cells: recordCells(record, input) })),
    ...invalid.map((session) => ({ name: session.name, cells: invalidCells(session, output === "wide") })),
  ].sort((a, b) => compareNames(a.name, b.name));
  if (output === "name") return rows.map((row) => `${row.name}\n`).join("");
  return renderColumns({
    headers: output === "wide" ? WIDE_HEADERS : HEADERS,
    rows: rows.map((row) => row.cells),
    paint: input.paint,
    headerLine: input.headers,
  });
}

/** Where to look next, for people: one line per invalid manifest (stderr under a table). */
export function invalidNotes(invalid: readonly InvalidSession[]): string {
  return invalid
    .map((session) => {
      const first = session.errors[0];
      const where = first ? formatManifestError(session.path, first) : session.path;
      return `invalid: ${where}\n`;
    })
    .join("");
}

function recordCells(record: SessionSummary, input: SessionListInput): Cell[] {
  const session = record.status.session;
  const cells: Cell[] = [
    { text: record.name },
    { text: session.status, colour: statusColour(session.status) },
    { text: session.succeeded, colour: succeededColour(session.succeeded) },
    { text: record.configuration.name },
    { text: record.target.definition },
    { text: formatAge(session.start_time, input.now) },
    { text: layerSummary(record) },
  ];
  if (input.output !== "wide") return cells;
  const tags = Object.entries(record.tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  return [
    ...cells,
    { text: session.start_time ?? "-" },
    { text: session.completion_time ?? "-" },
    { text: session.job ?? "-" },
    { text: tags || "-" },
  ];
}

function invalidCells(session: InvalidSession, wide: boolean): Cell[] {
  const first = session.errors[0];
  const where = first ? `${session.path}:${first.line}:${first.column}` : session.path;
  const cells: Cell[] = [
    { text: session.name },
    { text: "invalid", colour: "red" },
    { text: "-" },
    { text: "-" },
    { text: "-" },
    { text: "-" },
    { text: where },
  ];
  return wide ? [...cells, { text: "-" }, { text: "-" }, { text: "-" }, { text: "-" }] : cells;
}

function statusColour(status: string): Colour | null {
  if (status === "running") return "cyan";
  if (status === "pending") return "yellow";
  return null;
}

function succeededColour(succeeded: string): Colour | null {
  if (succeeded === "true") return "green";
  if (succeeded === "false") return "red";
  if (succeeded === "unknown") return "yellow";
  return "grey";
}

function layerSummary(record: SessionSummary): string {
  const layers = record.status.layers;
  if (layers.length === 0) return "-";
  const done = layers.filter((l) => l.status === "succeeded").length;
  const failed = layers.find((l) => l.status === "failed");
  return failed ? `${done}/${layers.length} (failed: ${failed.name})` : `${done}/${layers.length}`;
}
