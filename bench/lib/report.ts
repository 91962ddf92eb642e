/** The bench's one table: each scenario's figure beside its target and the baseline run in the same process. */
import { formatSummary, summarize, type Summary } from "./stats.js";

/** A measured figure (or the reason it was not measured). */
export type Figure = { summary: Summary; unit: string } | { notMeasured: string };

/** One line of the table. */
export interface Row {
  scenario: string;
  target: string;
  figure: Figure;
  /** Which statistic the target applies to. */
  compare?: "median" | "max";
  /** The target as a number in the figure's unit (null: informational row). */
  limit: number | null;
  baseline: { label: string; figure: Figure } | null;
  note?: string;
}

/** A count as the table writes it: `10,000`. */
export function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** A figure from samples. */
export function measured(samples: readonly number[], unit = "ms"): Figure {
  return { summary: summarize(samples), unit };
}

/** A row that could not be measured, and why (never a made-up number). */
export function notMeasured(reason: string): Figure {
  return { notMeasured: reason };
}

/** "yes", "NO", or "—" for rows without a target or without a measurement. */
export function verdict(row: Row): string {
  if (row.limit === null || "notMeasured" in row.figure) return "—";
  const value = row.compare === "max" ? row.figure.summary.max : row.figure.summary.median;
  return value < row.limit ? "yes" : "NO";
}

function cell(figure: Figure): string {
  return "notMeasured" in figure
    ? `not measured: ${figure.notMeasured}`
    : formatSummary(figure.summary, figure.unit);
}

function escape(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** The markdown table of the rows, with footnotes for rows that carry a note. */
export function renderTable(rows: readonly Row[]): string {
  const lines = ["| scenario | target | cfs-gitops | met | baseline (same run) |", "|---|---|---|---|---|"];
  const notes: string[] = [];
  for (const row of rows) {
    let scenario = row.scenario;
    if (row.note) {
      notes.push(row.note);
      scenario += ` [${notes.length}]`;
    }
    const baseline = row.baseline ? `${row.baseline.label}: ${cell(row.baseline.figure)}` : "—";
    lines.push(
      `| ${[scenario, row.target, cell(row.figure), verdict(row), baseline].map(escape).join(" | ")} |`,
    );
  }
  const footnotes = notes.map((note, i) => `- [${i + 1}] ${note}`);
  return [...lines, ...(footnotes.length > 0 ? ["", ...footnotes] : [])].join("\n");
}
