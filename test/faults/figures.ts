/**
 * The figures of the fault suite: each scenario writes what it measured (and what is required) to
 * a JSON file in the run's folder under the OS temp dir; the suite's teardown prints them as one
 * table and merges them into `<tmp>/cfs-gitops-faults/latest.json`.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** One measured figure; `required` is the value it must have (asserted by the scenario). */
export interface Figure {
  name: string;
  value: number | string | boolean;
  required?: number | string | boolean;
}

/** What one scenario measured. */
export interface ScenarioFigures {
  scenario: string;
  seed: number;
  durationMs: number;
  figures: Figure[];
  /** Plain words on what went wrong, for the report (empty when every requirement held). */
  notes: string[];
}

/** Where the suite keeps its figures: `<tmp>/cfs-gitops-faults`. */
export const FIGURES_ROOT = join(tmpdir(), "cfs-gitops-faults");

/** Writes a scenario's figures into the run folder `dir`. */
export function writeScenarioFigures(dir: string, figures: ScenarioFigures): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${figures.scenario}.json`), `${JSON.stringify(figures, null, 2)}\n`);
}

/** Every scenario's figures found in the run folder `dir`, by scenario name. */
export function readRunFigures(dir: string): ScenarioFigures[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith(".json"));
  } catch {
    return [];
  }
  return names.sort().map((name) => JSON.parse(readFileSync(join(dir, name), "utf8")) as ScenarioFigures);
}

/** Whether a figure meets its requirement (true when it has none). */
export function figureMet(figure: Figure): boolean {
  return figure.required === undefined || figure.value === figure.required;
}

/** The figures as a plain-text table, one row per figure. */
export function figuresTable(all: readonly ScenarioFigures[]): string {
  const rows: string[][] = [["scenario", "figure", "value", "required", "met"]];
  for (const s of all) {
    for (const f of s.figures) {
      const required = f.required === undefined ? "" : String(f.required);
      rows.push([
        s.scenario,
        f.name,
        String(f.value),
        required,
        f.required === undefined ? "" : figureMet(f) ? "yes" : "NO",
      ]);
    }
    rows.push([s.scenario, "duration (s)", (s.durationMs / 1000).toFixed(1), "", ""]);
  }
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
