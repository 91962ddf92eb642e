/**
 * SourceState keeps, beside the files it read, the paths present (read or not) in one set, lets go
 * of read session files once their session settles, and counts changes outside `sessions/` apart:
 * after any sequence of commits and settlements, what it holds must be what a fresh read of the
 * same commit would hold.
 */
import fc from "fast-check";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { SourceState } from "../../../src/controller/index.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { MemorySource, configurationText, sessionText } from "./fakes.js";

const log = pino({ level: "silent" });
const PATHS = [
  "sessions/a.yaml",
  "sessions/b.yml",
  "sessions/c.yaml",
  "configurations/cfg.yaml",
  "ansible-configs/x.cfg",
];

const step = fc.record({
  // Each path: left alone, written (one of two texts) or deleted.
  edits: fc.array(fc.constantFrom<"keep" | "one" | "two" | "delete">("keep", "one", "two", "delete"), {
    minLength: PATHS.length,
    maxLength: PATHS.length,
  }),
  settled: fc.subarray(["a", "b", "c"]),
});

function textOf(path: string, which: "one" | "two"): string {
  const name = path.replace(/^.*\/|\.(ya?ml|cfg)$/g, "");
  if (path.startsWith("sessions/")) return sessionText(name, which === "one" ? "cfg" : "other");
  if (path.startsWith("configurations/")) return configurationText(which === "one" ? "cfg" : "cfg2");
  return `[defaults]\n# ${which}\n`;
}

describe("SourceState's sets", () => {
  it("holds what a fresh read of the same commit holds, after any commits and settlements", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 8 }), async (steps) => {
        const source = new MemorySource();
        let settledNames = new Set<string>();
        const settled = (path: string): boolean =>
          settledNames.has(path.replace(/^sessions\/|\.ya?ml$/g, ""));
        const state = new SourceState({
          source,
          parse: parseManifest,
          log,
          settled,
          settledChanges: () => new Set(["a", "b", "c"]),
        });
        let baseVersion = state.baseVersion;
        for (const { edits, settled: names } of steps) {
          const files: Record<string, string | null> = {};
          edits.forEach((edit, i) => {
            const path = PATHS[i] ?? "";
            if (edit === "delete") files[path] = null;
            else if (edit !== "keep") files[path] = textOf(path, edit);
          });
          const before = source.tip ? new Map(source.commits.get(source.tip)) : new Map<string, string>();
          source.push(files);
          settledNames = new Set(names);
          await state.sync();
          const after = source.commits.get(source.tip ?? "") ?? new Map<string, string>();
          const baseMoved = PATHS.some((p) => !p.startsWith("sessions/") && before.get(p) !== after.get(p));
          expect(state.baseVersion > baseVersion).toBe(baseMoved);
          baseVersion = state.baseVersion;

          const fresh = new SourceState({ source, parse: parseManifest, log, settled });
          await fresh.sync();
          expect([...state.files.keys()].sort()).toEqual([...fresh.files.keys()].sort());
          expect([...state.settledPaths].sort()).toEqual([...fresh.settledPaths].sort());
          for (const path of PATHS) {
            const present = after.has(path) && !path.startsWith("ansible-configs/");
            expect(state.presentPaths.has(path)).toBe(present);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
