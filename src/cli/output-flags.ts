/**
 * What list and describe commands share with kubectl, flux and argocd: `-o/--output
 * json|yaml|wide|name` (with `--format`, the cray spelling, kept as an alias), `--no-headers`,
 * and colour on a terminal (off with NO_COLOR or when the output is piped).
 */
import type { Command } from "commander";
import { CliError } from "./errors.js";
import type { CliIo } from "./io.js";

/** Every output a list command may print. */
export type OutputFormat = "table" | "wide" | "name" | "json" | "yaml";

/** The flags as typed. */
export interface OutputFlags {
  output?: string;
  format?: string;
  headers?: boolean;
}

/** Adds `-o/--output`, `--format` (alias) and, for tables, `--no-headers`. */
export function addOutputOptions(
  command: Command,
  input: { allowed: readonly string[]; table: boolean },
): Command {
  const list = input.allowed.join(", ");
  command
    .option("-o, --output <format>", `output: ${list} (default ${input.allowed[0] ?? "table"})`)
    .option("--format <format>", "the same as -o (the spelling cray uses)");
  if (input.table) command.option("--no-headers", "print table rows without the header line");
  return command;
}

/** The outputs of `sessions describe` (json, the default, as cray prints). */
export const DESCRIBE_OUTPUTS = ["json", "yaml"] as const;

/** The chosen output among `allowed` (the first is the default); exit code 2 otherwise. */
export function parseOutput<T extends string>(flags: OutputFlags, allowed: readonly T[]): T {
  if (flags.output !== undefined && flags.format !== undefined && flags.output !== flags.format)
    throw new CliError(`-o ${flags.output} and --format ${flags.format}: give one of them`, 2);
  const text = flags.output ?? flags.format;
  const fallback = allowed[0];
  if (fallback === undefined) throw new Error("parseOutput: no output allowed");
  if (text === undefined) return fallback;
  const found = allowed.find((format) => format === text);
  const flag = flags.output === undefined ? "--format" : "-o";
  if (found === undefined) throw new CliError(`${flag} ${text}: use ${allowed.join(", ")}`, 2);
  return found;
}

/** Colours a cell may have. */
export type Colour = "green" | "red" | "yellow" | "cyan" | "grey";

const CODES: Record<Colour, string> = { green: "32", red: "31", yellow: "33", cyan: "36", grey: "90" };

/** Paints text, or returns it as it is. */
export type Paint = (text: string, colour: Colour | null) => string;

/** True when output is coloured: only on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. */
export function colourOn(io: Pick<CliIo, "stdout" | "env">): boolean {
  return io.stdout.isTTY === true && !io.env["NO_COLOR"] && io.env["TERM"] !== "dumb";
}

/** Colour only on a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function paintFor(io: Pick<CliIo, "stdout" | "env">): Paint {
  const on = colourOn(io);
  return (text, colour) =>
    on && colour !== null && text !== "" ? `\x1b[${CODES[colour]}m${text}\x1b[0m` : text;
}

/** Renders an aligned table (widths from the plain text, colour laid on after padding). */
export function renderColumns(input: {
  headers: readonly string[];
  rows: ReadonlyArray<ReadonlyArray<{ text: string; colour?: Colour | null }>>;
  paint: Paint;
  headerLine: boolean;
}): string {
  const { headers, rows, paint } = input;
  // Plain loops: a list prints tens of thousands of cells, and this runs at every start-up.
  const widths = headers.map((header) => (input.headerLine ? header.length : 0));
  for (const row of rows)
    for (let i = 0; i < widths.length; i++) widths[i] = Math.max(widths[i]!, row[i]?.text.length ?? 0);
  const line = (cells: ReadonlyArray<{ text: string; colour?: Colour | null }>): string => {
    let text = "";
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i]!;
      if (i > 0) text += "  ";
      text += paint(cell.text, cell.colour ?? null);
      if (i < cells.length - 1) text += " ".repeat(Math.max(0, (widths[i] ?? 0) - cell.text.length));
    }
    return text.trimEnd();
  };
  const lines = rows.map(line);
  if (input.headerLine) lines.unshift(line(headers.map((text) => ({ text }))));
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

const HOUR = 3_600;
const DAY = 86_400;
const YEAR = 365 * DAY;

/** kubectl's AGE: `45s`, `12m`, `5h`, `3d`, `2y` (the largest unit that fits); `-` when unknown. */
export function formatAge(since: string | null, now: Date): string {
  return formatAgeOf(parseTime(since), now);
}

/** The time of an RFC 3339 timestamp in ms, or null when there is none (null, empty, unparsable). */
export function parseTime(text: string | null): number | null {
  const ms = Date.parse(text ?? "");
  return Number.isNaN(ms) ? null : ms;
}

/** formatAge of a time already parsed (parseTime). A list computes 10,000 of them: plain arithmetic. */
export function formatAgeOf(start: number | null, now: Date): string {
  if (start === null) return "-";
  const seconds = Math.max(0, Math.floor((now.getTime() - start) / 1000));
  if (seconds >= YEAR) return `${Math.floor(seconds / YEAR)}y`;
  if (seconds >= DAY) return `${Math.floor(seconds / DAY)}d`;
  if (seconds >= HOUR) return `${Math.floor(seconds / HOUR)}h`;
  if (seconds >= 60) return `${Math.floor(seconds / 60)}m`;
  return `${seconds}s`;
}
