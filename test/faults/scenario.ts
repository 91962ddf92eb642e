/**
 * What every fault scenario shares: the run's seed and a generator for the scenario, a temp
 * folder, and the report of its figures (written for the suite's table, then asserted, so a
 * failing scenario still leaves its figures).
 */
import { inject } from "vitest";
import { tempDir } from "../helpers/config-repo.js";
import { figureMet, writeScenarioFigures, type Figure } from "./figures.js";
import { seededRandom, type SeededRandom } from "./seeded-random.js";

/** One scenario's context. */
export interface Scenario {
  name: string;
  seed: number;
  random: SeededRandom;
  /** A temp folder for its repositories, data and marks. */
  dir: string;
  /** Notes for the report (what went wrong, precisely). */
  notes: string[];
  /** Writes the figures and returns those that miss their requirement (`name = value, required r`). */
  report(figures: Figure[]): string[];
  /** Removes the temp folder. */
  cleanup(): void;
}

/** Starts scenario `name`. */
export function startScenario(name: string): Scenario {
  const seed = inject("faultSeed");
  const figuresDir = inject("faultFiguresDir");
  const started = Date.now();
  const dir = tempDir(`cfs-fault-${name}-`);
  const notes: string[] = [];
  return {
    name,
    seed,
    random: seededRandom(seed, name),
    dir: dir.path,
    notes,
    report: (figures) => {
      writeScenarioFigures(figuresDir, {
        scenario: name,
        seed,
        durationMs: Date.now() - started,
        figures,
        notes,
      });
      return figures
        .filter((f) => !figureMet(f))
        .map((f) => `${f.name} = ${String(f.value)}, required ${String(f.required)}`);
    },
    cleanup: () => {
      if (process.env["FAULT_KEEP"] === undefined) dir.cleanup();
    },
  };
}
