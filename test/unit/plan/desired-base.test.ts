/**
 * assembleDesired with the base of an earlier assembly (no file outside `sessions/` changed since)
 * gives what a whole assembly gives, and keeps the base's objects (so what is made from them, such
 * as the components' base, is kept too).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ComponentManifest } from "../../../src/api/index.js";
import { assembleDesired, type RepoFile } from "../../../src/plan/index.js";
import { COMMIT, configuration, configurationFile, session, sessionFile } from "./fixtures.js";

const locate = (): { line: number; column: number } => ({ line: 2, column: 3 });

function componentFile(id: string, desiredConfig: string): RepoFile {
  const manifest: ComponentManifest = {
    apiVersion: "cfs-gitops/v1",
    kind: "Component",
    id,
    desired_config: desiredConfig,
  };
  return {
    path: `components/${id}.yaml`,
    blob: `b-${id}-${desiredConfig}`,
    commit: COMMIT,
    parsed: { ok: true, kind: "Component", name: id, manifest },
  };
}

const baseFiles = [
  configurationFile(configuration("cfg")),
  configurationFile(configuration("two", 1)),
  componentFile("x1000c0s0b0n0", "cfg"),
  componentFile("x1000c0s0b0n1", "gone"),
  {
    path: "configurations/bad.yaml",
    blob: "b-bad",
    commit: COMMIT,
    parsed: {
      ok: false,
      kind: "Configuration",
      name: null,
      errors: [{ line: 1, column: 1, code: "yaml", message: "bad" }],
    },
  } satisfies RepoFile,
];

const oneSession = fc.record({
  name: fc.constantFrom("a", "b", "c", "d"),
  configuration: fc.constantFrom("cfg", "two", "missing"),
  limit: fc.constantFrom(undefined, "l0", "l5"),
  blob: fc.constantFrom("b1", "b2"),
  yml: fc.boolean(),
});

type OneSession = typeof oneSession extends fc.Arbitrary<infer T> ? T : never;

function filesOf(sessions: OneSession[]): RepoFile[] {
  return sessions.map((s) => {
    const file = sessionFile(
      session(s.name, { configuration: { name: s.configuration, ...(s.limit ? { limit: s.limit } : {}) } }),
      s.blob,
    );
    return s.yml ? { ...file, path: file.path.replace(/\.yaml$/, ".yml") } : file;
  });
}

describe("assembleDesired with a kept base", () => {
  it("gives what a whole assembly gives when only session files changed", () => {
    fc.assert(
      fc.property(
        fc.array(oneSession, { maxLength: 6 }),
        fc.array(oneSession, { maxLength: 6 }),
        (before, after) => {
          const first = assembleDesired({
            commit: COMMIT,
            files: [...baseFiles, ...filesOf(before)],
            locate,
          });
          const files = [...baseFiles, ...filesOf(after)];
          const kept = assembleDesired({ commit: COMMIT, files, locate, base: first.base });
          const whole = assembleDesired({ commit: COMMIT, files, locate });
          expect(kept).toEqual(whole);
          expect(kept.base).toBe(first.base);
          expect(kept.components).toBe(first.components);
          expect(kept.configurations).toBe(first.configurations);
        },
      ),
      { numRuns: 200 },
    );
  });
});
