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
 * where the clock changes it: a list whose branches did not move prints it again with only the
 * ages computed (renderTableTemplate), the same text as renderSessionList. Its lines are one text
 * with a mark where each AGE cell goes, so a 10,000-line table reads back as one string and
 * prints with one replace: no small strings to make, parse or collect.
 */
export interface TableTemplate {
  /** The header's cells before and after AGE. */
  header: [string, string];
  /**
   * Every line, AGE cell left out: the cells before AGE (padded, with their separators), a mark,
   * then the cells after AGE (end-trimmed) and a newline. The mark is AGE_THEN_CELLS, or AGE_LAST
   * when no cell follows (the line ends with its age, as a trimmed line does).
   */
  text: string;
  /** Each line's start time (ms); any number for a line in `unstarted`. */
  starts: number[];
  /** The lines without a start (their AGE is `-`). */
  unstarted: number[];
}

/** The marks of TableTemplate.text; a table with either in a cell has no template. */
const AGE_THEN_CELLS = "\u0001";
const AGE_LAST = "\u0002";
const MARKS = new RegExp(`[${AGE_THEN_CELLS}${AGE_LAST}]`, "g");

const AGE = HEADERS.indexOf("AGE");

/**
 * The template of the whole table of `rows` and `invalid` (see TableTemplate); null when a cell
 * holds one of its marks (a file name may: such a table is rendered from rows). Pure.
 */
export function tableTemplate(input: {
  rows: readonly ListRow[];
  invalid: readonly InvalidSession[];
}): TableTemplate | null {
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
    texts
      .slice(AGE + 1)
      .join("  ")
      .trimEnd(),
  ];
  const template: TableTemplate = { header: split(HEADERS), text: "", starts: [], unstarted: [] };
  const lines: string[] = [];
  rows.forEach((row, i) => {
    const [before, after] = split(row.cells.map((cell) => cell.text));
    lines.push(`${before}${after === "" ? AGE_LAST : AGE_THEN_CELLS}${after}\n`);
    template.starts.push(row.startMs ?? 0);
    if (row.startMs === null) template.unstarted.push(i);
  });
  template.text = lines.join("");
  const marks = template.text.match(MARKS)?.length ?? 0;
  return marks === rows.length ? template : null;
}

/** True when `value` has the shape of a TableTemplate (as kept in a cache file), one mark a line. Pure. */
export function isTableTemplate(value: unknown): value is TableTemplate {
  const template = value as Partial<TableTemplate> | null;
  if (template === null || typeof template !== "object" || typeof template.text !== "string") return false;
  const { header, starts, unstarted } = template;
  const strings = (list: unknown): boolean => Array.isArray(list) && list.every((x) => typeof x === "string");
  const numbers = (list: unknown): list is number[] =>
    Array.isArray(list) && list.every((x) => typeof x === "number");
  if (!strings(header) || header?.length !== 2 || !numbers(starts) || !numbers(unstarted)) return false;
  const lines = starts.length;
  if (!unstarted.every((i) => Number.isInteger(i) && i >= 0 && i < lines)) return false;
  return (template.text.match(MARKS)?.length ?? 0) === lines; // else lines would print without ages
}

/** The table of a template at `now`. Pure. */
export function renderTableTemplate(template: TableTemplate, now: Date): string {
  const ages = template.starts.map((start) => formatAgeOf(start, now));
  for (const i of template.unstarted) ages[i] = formatAgeOf(null, now);
  const width = ages.reduce((most, age) => Math.max(most, age.length), "AGE".length);
  const padded = new Map<string, string>(); // few distinct ages: one string each
  const pad = (age: string): string => {
    let text = padded.get(age);
    if (text === undefined) padded.set(age, (text = `${age}${" ".repeat(width - age.length)}  `));
    return text;
  };
  const [before, after] = template.header;
  let line = 0;
  const body = template.text.replace(MARKS, (mark) => {
    const age = ages[line++]!;
    return mark === AGE_LAST ? age : pad(age);
  });
  return `${`${before}${pad("AGE")}${after}`.trimEnd()}\n${body}`;
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
