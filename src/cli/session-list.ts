/**
 * `sessions list` output: the records (and pending manifests) as CFS lists them, and the session
 * manifests that cannot be used as rows with status `invalid`, so a broken main shows at a glance.
 * Tables for people (`wide` adds times, job and tags), names for scripts, json/yaml in CFS's shape
 * with the invalid manifests under their own key. Pure.
 */
import type { SessionRecord } from "../api/index.js";
import { formatAgeOf, renderColumns, type Colour, type OutputFormat, type Paint } from "./output-flags.js";
import { pagedData, renderData } from "./output.js";
import type { InvalidSession } from "./problems.js";
import type { ListRow } from "./list-rows.js";
import { compareNames, type Page } from "./session-filters.js";

/** The sessions of one page: whole records for json and yaml, rows for the tables and names. */
export type ListedPage =
  | { kind: "records"; output: "json" | "yaml"; page: Page<SessionRecord> }
  | { kind: "rows"; output: Exclude<OutputFormat, "json" | "yaml">; page: Page<ListRow> };

/** What one `sessions list` prints. */
export interface SessionListInput {
  listed: ListedPage;
  invalid: readonly InvalidSession[];
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
  const { listed, invalid } = input;
  if (listed.kind === "records") {
    const { page, output } = listed;
    const data = pagedData({ key: "sessions", items: page.items, next: page.next, params: input.params });
    const problems = invalid.map((session) => ({ ...session, status: "invalid" }));
    return renderData(problems.length === 0 ? data : { ...data, invalid: problems }, output);
  }
  const output = listed.output;
  const rows = tableRows({ rows: listed.page.items, invalid, output, now: input.now });
  if (output === "name") return rows.map((row) => `${row.name}\n`).join("");
  return renderColumns({
    headers: output === "wide" ? WIDE_HEADERS : HEADERS,
    rows: rows.map((row) => row.cells),
    paint: input.paint,
    headerLine: input.headers,
  });
}

/** The lines of a table, sorted by name: rows and invalid manifests, each with its start (AGE). */
function tableRows(input: {
  rows: readonly ListRow[];
  invalid: readonly InvalidSession[];
  output: Exclude<OutputFormat, "json" | "yaml">;
  now: Date;
}): Array<{ name: string; cells: Cell[]; startMs: number | null }> {
  const { output, now } = input;
  return [
    ...input.rows.map((row) => ({ name: row.name, cells: rowCells(row, now, output), startMs: row.startMs })),
    ...input.invalid.map((session) => ({
      name: session.name,
      cells: invalidCells(session, output === "wide"),
      startMs: null,
    })),
  ].sort((a, b) => compareNames(a.name, b.name));
}

/**
 * `sessions list` as most often typed (a table of every session, headers, no colour), split
 * where the clock changes it: each line's cells before AGE (padded, with the separator after
 * them), its start, and the cells after AGE. A list whose branches did not move prints this
 * again with only the ages computed (renderTableTemplate): the same text as renderSessionList.
 */
export interface TableTemplate {
  header: [string, string];
  lines: Array<[string, number | null, string]>;
}

const AGE = HEADERS.indexOf("AGE");

/** The template of the whole table of `rows` and `invalid` (see TableTemplate). Pure. */
export function tableTemplate(input: {
  rows: readonly ListRow[];
  invalid: readonly InvalidSession[];
}): TableTemplate {
  // Any time will do: the AGE cell is left out, each line keeps its start instead.
  const rows = tableRows({ ...input, output: "table", now: new Date(0) });
  const widths = HEADERS.slice(0, AGE).map((header) => header.length);
  for (const row of rows)
    for (let i = 0; i < AGE; i++) widths[i] = Math.max(widths[i]!, row.cells[i]!.text.length);
  const split = (texts: readonly string[]): [string, string] => [
    texts
      .slice(0, AGE)
      .map((text, i) => `${text}${" ".repeat(widths[i]! - text.length)}  `)
      .join(""),
    texts.slice(AGE + 1).join("  "),
  ];
  return {
    header: split(HEADERS),
    lines: rows.map((row) => {
      const [before, after] = split(row.cells.map((cell) => cell.text));
      return [before, row.startMs, after];
    }),
  };
}

/** The table of a template at `now`. Pure. */
export function renderTableTemplate(template: TableTemplate, now: Date): string {
  const ages = template.lines.map(([, start]) => formatAgeOf(start, now));
  const width = ages.reduce((most, age) => Math.max(most, age.length), "AGE".length);
  const line = (before: string, age: string, after: string): string =>
    `${before}${age}${" ".repeat(width - age.length)}  ${after}`.trimEnd();
  const lines = template.lines.map(([before, , after], i) => line(before, ages[i]!, after));
  lines.unshift(line(template.header[0], "AGE", template.header[1]));
  return `${lines.join("\n")}\n`;
}

function rowCells(row: ListRow, now: Date, output: OutputFormat): Cell[] {
  const cells: Cell[] = [
    { text: row.name },
    { text: row.status, colour: statusColour(row.status) },
    { text: row.succeeded, colour: succeededColour(row.succeeded) },
    { text: row.configuration },
    { text: row.target },
    { text: formatAgeOf(row.startMs, now) },
    { text: row.layers },
  ];
  if (output !== "wide") return cells;
  const tags = Object.entries(row.tags)
    .map(([key, value]) => `${key}=${value}`)
    .join(",");
  return [
    ...cells,
    { text: row.startTime ?? "-" },
    { text: row.completionTime ?? "-" },
    { text: row.job ?? "-" },
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
