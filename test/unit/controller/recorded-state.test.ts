import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { RECORD_BATCH, loadRecordedState } from "../../../src/controller/index.js";
import type { StatusStore } from "../../../src/git/types.js";

/** An in-memory status branch whose reads are counted. */
function memoryStore(files: Map<string, string>): { store: StatusStore; batches: number[] } {
  const batches: number[] = [];
  const byOid = new Map([...files].map(([path, text]) => [`oid:${path}`, Buffer.from(text)]));
  const store: StatusStore = {
    load: () =>
      Promise.resolve({ tip: "t".repeat(40), files: new Map([...files.keys()].map((p) => [p, `oid:${p}`])) }),
    readBlobs: (oids) => {
      batches.push(oids.length);
      return Promise.resolve(
        new Map(oids.flatMap((oid) => (byOid.has(oid) ? [[oid, byOid.get(oid)!]] : []))),
      );
    },
    commit: () => Promise.resolve(null),
    close: () => Promise.resolve(),
  };
  return { store, batches };
}

describe("loadRecordedState", () => {
  it("reads every record in batches of at most RECORD_BATCH and never reads logs", async () => {
    const files = new Map<string, string>();
    const count = RECORD_BATCH * 2 + 7;
    for (let i = 0; i < count; i++) files.set(`sessions/s${i}.json`, JSON.stringify({ name: `s${i}` }));
    files.set("problems/sessions/bad.yaml.json", JSON.stringify({ path: "sessions/bad.yaml" }));
    files.set("expired/old.json", JSON.stringify({ name: "old" }));
    files.set("logs/s1/ansible-0.log", "not json");
    files.set("sessions/broken.json", "{");
    const { store, batches } = memoryStore(files);

    const { state } = await loadRecordedState(store, pino({ level: "silent" }));

    expect(state.sessions.size).toBe(count);
    expect(state.sessions.get(`s${count - 1}`)).toEqual({ name: `s${count - 1}` });
    expect([...state.problems.keys()]).toEqual(["sessions/bad.yaml"]);
    expect([...state.expired.keys()]).toEqual(["old"]);
    expect(Math.max(...batches)).toBeLessThanOrEqual(RECORD_BATCH);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(count + 3);
  });
});
