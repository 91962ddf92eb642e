/**
 * Vitest globalSetup of the fault suite: picks the seed (FAULT_SEED, or a fresh one), prints it,
 * gives it and the run's figures folder to the scenarios, and at the end prints every scenario's
 * figures as one table and writes them to `<tmp>/cfs-gitops-faults/latest.json`.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { FIGURES_ROOT, figuresTable, readRunFigures } from "./figures.js";
import { chooseSeed } from "./seeded-random.js";

declare module "vitest" {
  /** What the fault suite's globalSetup provides to test workers. */
  export interface ProvidedContext {
    faultSeed: number;
    faultFiguresDir: string;
  }
}

/** Provides the seed and the figures folder; returns the teardown that prints the table. */
export default function setup(project: TestProject): () => void {
  // Both fault projects share one seed: the first setup fixes it for the second.
  const seed = chooseSeed(process.env);
  process.env["FAULT_SEED"] = String(seed);
  const runDir = (process.env["FAULT_RUN_DIR"] ??= join(FIGURES_ROOT, `run-${seed}-${Date.now()}`));
  mkdirSync(runDir, { recursive: true });
  process.stdout.write(`fault suite (${project.name}): FAULT_SEED=${seed}, figures in ${runDir}\n`);
  project.provide("faultSeed", seed);
  project.provide("faultFiguresDir", runDir);
  return () => {
    const figures = readRunFigures(runDir);
    // The kube project runs this setup too: print the (same, whole-run) table once.
    if (figures.length === 0 || process.env["FAULT_TABLE_PRINTED"] === runDir) return;
    process.env["FAULT_TABLE_PRINTED"] = runDir;
    const merged = { seed, finishedAt: new Date().toISOString(), scenarios: figures };
    writeFileSync(join(runDir, "..", "latest.json"), `${JSON.stringify(merged, null, 2)}\n`);
    process.stdout.write(
      `\nfault suite figures (FAULT_SEED=${seed}; ${join(FIGURES_ROOT, "latest.json")}):\n${figuresTable(figures)}\n`,
    );
  };
}
