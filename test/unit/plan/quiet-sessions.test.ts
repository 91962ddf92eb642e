/**
 * quietSessions handed its previous answer, the names of the records that changed since and the
 * presence version finds the same sessions active as a walk of every record, whatever happens
 * between passes: records changed, added or removed, paths deleted or added, time going by.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobName, type KeptSession } from "../../../src/api/index.js";
import {
  assembleDesired,
  newSessionRecord,
  quietSessions,
  settleRecord,
  type DesiredBase,
  type QuietSessions,
} from "../../../src/plan/index.js";
import { COMMIT, session, withStatus } from "./fixtures.js";

const NOW = Date.parse("2026-11-21T12:00:00Z");
const HOUR = 3_600_000;
const NAMES = ["a", "b", "c", "d", "e", "f"];

const kind = fc.constantFrom("pending", "running", "fresh", "old", "no time", "gone");
const event = fc.oneof(
  fc.record({ type: fc.constant("record" as const), name: fc.constantFrom(...NAMES), kind }),
  fc.record({ type: fc.constant("delete" as const), name: fc.constantFrom(...NAMES) }),
  fc.record({ type: fc.constant("add" as const), name: fc.constantFrom(...NAMES) }),
  fc.record({ type: fc.constant("time" as const), hours: fc.integer({ min: 0, max: 30 }) }),
);

function recordOf(name: string, what: string, now: number): KeptSession | null {
  const blob = `b-${name}`;
  const base = newSessionRecord({
    session: session(name),
    source: { path: `sessions/${name}.yaml`, commit: COMMIT, blob },
    job: jobName(name, blob),
    options: null,
  });
  if (what === "gone") return null;
  if (what === "pending" || what === "running") return withStatus(base, what);
  const at = what === "fresh" ? now - HOUR : what === "old" ? now - 20 * HOUR : null;
  return settleRecord(
    withStatus(base, "complete", "true", at === null ? "never" : new Date(at).toISOString()),
  );
}

describe("quietSessions", () => {
  it("finds the same active sessions from its previous answer as from a walk of every record", () => {
    fc.assert(
      fc.property(
        fc.array(kind, { minLength: NAMES.length, maxLength: NAMES.length }),
        fc.array(fc.array(event, { maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        (start, passes) => {
          let now = NOW;
          const ttlMs = 12 * HOUR;
          const base: DesiredBase = assembleDesired({
            commit: COMMIT,
            files: [],
            locate: () => ({ line: 1, column: 1 }),
          }).base;
          const recorded = new Map<string, KeptSession>();
          NAMES.forEach((name, i) => {
            const record = recordOf(name, start[i] ?? "gone", now);
            if (record) recorded.set(name, record);
          });
          const present = new Set(NAMES.map((name) => `sessions/${name}.yaml`));
          let presenceVersion = 0;
          let previous: QuietSessions | null = null;
          for (const events of passes) {
            const changed = new Set<string>();
            for (const e of events) {
              if (e.type === "record") {
                const record = recordOf(e.name, e.kind, now);
                if (record) recorded.set(e.name, record);
                else recorded.delete(e.name);
                changed.add(e.name);
              } else if (e.type === "delete") {
                if (present.delete(`sessions/${e.name}.yaml`)) presenceVersion += 1;
              } else if (e.type === "add") present.add(`sessions/${e.name}.yaml`);
              else now += e.hours * HOUR;
            }
            const input = { recorded, present, base, now, ttlMs };
            const kept = quietSessions({ ...input, hint: { previous, changed, presenceVersion } });
            const walked = quietSessions(input);
            expect([...kept.active].sort()).toEqual([...walked.active].sort());
            expect(kept.dueAt).toBeLessThanOrEqual(walked.dueAt);
            previous = kept;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("walks every record again when the base changed or the caller does not know what changed", () => {
    const base = assembleDesired({ commit: COMMIT, files: [], locate: () => ({ line: 1, column: 1 }) }).base;
    const done = recordOf("a", "fresh", NOW);
    const recorded = new Map<string, KeptSession>(done ? [["a", done]] : []);
    const present = new Set(["sessions/a.yaml"]);
    const first = quietSessions({ recorded, present, base, now: NOW, ttlMs: null });
    expect([...first.active]).toEqual([]);
    present.clear(); // a deletion the caller failed to count is still found after "all" or a new base
    const hint = { previous: first, presenceVersion: 0 };
    const input = { recorded, present, now: NOW, ttlMs: null };
    expect([
      ...quietSessions({ ...input, base, hint: { ...hint, changed: new Set<string>() } }).active,
    ]).toEqual([]);
    expect([...quietSessions({ ...input, base, hint: { ...hint, changed: "all" } }).active]).toEqual(["a"]);
    expect([
      ...quietSessions({ ...input, base: { ...base }, hint: { ...hint, changed: new Set<string>() } }).active,
    ]).toEqual(["a"]);
  });
});
