/**
 * A vitest reporter that ends the summary with every test skipped with a reason (`context.skip(reason)`,
 * as `reference-spec.ts` does when a spec is nowhere): how many, the reason, and which files, so a
 * run that did not test something says so where people look, not only in a verbose listing.
 */
import type { Reporter, TestModule } from "vitest/node";

/** The skipped tests of a run, grouped by reason: reason -> file -> how many. */
export function skipReasons(modules: ReadonlyArray<TestModule>): Map<string, Map<string, number>> {
  const reasons = new Map<string, Map<string, number>>();
  for (const module of modules) {
    for (const test of module.children.allTests("skipped")) {
      const result = test.result();
      const note = result.state === "skipped" ? result.note : undefined;
      if (note === undefined || note === "") continue;
      const files = reasons.get(note) ?? new Map<string, number>();
      files.set(module.relativeModuleId, (files.get(module.relativeModuleId) ?? 0) + 1);
      reasons.set(note, files);
    }
  }
  return reasons;
}

/** Prints the skip reasons after vitest's own summary. */
export default class SkipReasonsReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const reasons = skipReasons(modules);
    if (reasons.size === 0) return;
    const lines = ["", " Skipped, with a reason:"];
    for (const [reason, files] of reasons) {
      const count = [...files.values()].reduce((sum, n) => sum + n, 0);
      lines.push(`   ${count} test${count === 1 ? "" : "s"}: ${reason}`);
      for (const [file, n] of files) lines.push(`     ${file} (${n})`);
    }
    console.log(lines.join("\n"));
  }
}
