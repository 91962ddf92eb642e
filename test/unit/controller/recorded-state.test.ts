import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { jobName, type SessionRecord } from "../../../src/api/index.js";
import { RECORD_BATCH, loadRecordedState } from "../../../src/controller/index.js";
import type { StatusStore } from "../../../src/git/types.js";
import { completeRecord, newSessionRecord } from "../../../src/plan/index.js";
import { COMMIT, session } from "../plan/fixtures.js";

function recordFor(name: string): SessionRecord {
  return newSessionRecord({
    session: session(name),
    source: { path: `sessions/${name}.yaml`, commit: COMMIT, blob: `b-${name}` },
    job: jobName(name, `b-${name}`),
    options: null,
  });
}

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
    pathsUnder: () => Promise.resolve([]),
    commit: () => Promise.resolve(null),
    close: () => Promise.resolve(),
  };
  return { store, batches };
}

describe("loadRecordedState", () => {
  it("reads every record in batches of at most RECORD_BATCH and never reads logs", async () => {
    const files = new Map<string, string>();
    const count = RECORD_BATCH * 2 + 7;
    for (let i = 0; i < count; i++) files.set(`sessions/s${i}.json`, JSON.stringify(recordFor(`s${i}`)));
    const problem = { path: "sessions/bad.yaml", commit: COMMIT, blob: null, errors: [] };
    files.set("problems/sessions/bad.yaml.json", JSON.stringify(problem));
    const expired = { name: "old", path: "sessions/old.yaml", blob: "b", expired_at: "2026-01-01T00:00:00Z" };
    files.set("expired/old.json", JSON.stringify(expired));
    files.set("logs/s1/ansible-0.log", "not json");
    files.set("sessions/broken.json", "{");
    const { store, batches } = memoryStore(files);

    const { state } = await loadRecordedState(store, pino({ level: "silent" }));

    expect(state.sessions.size).toBe(count);
    expect(state.sessions.get(`s${count - 1}`)).toEqual(recordFor(`s${count - 1}`));
    expect([...state.problems.keys()]).toEqual(["sessions/bad.yaml"]);
    expect([...state.expired.keys()]).toEqual(["old"]);
    expect(Math.max(...batches)).toBeLessThanOrEqual(RECORD_BATCH);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(count + 3);
  });

  it("keeps a completed session in its compact form and a session still going whole", async () => {
    const going = recordFor("going");
    const done = completeRecord(recordFor("done"), {
      succeeded: "false",
      reason: "layer 0 failed",
      now: "2026-11-21T12:00:00Z",
    });
    const files = new Map([going, done].map((r) => [`sessions/${r.name}.json`, JSON.stringify(r)]));
    const { store } = memoryStore(files);

    const { state } = await loadRecordedState(store, pino({ level: "silent" }));

    expect(state.sessions.get("going")).toEqual(going);
    expect(state.sessions.get("done")).toEqual({
      settled: true,
      name: "done",
      completedMs: Date.parse("2026-11-21T12:00:00Z"),
      configuration: { name: done.configuration.name },
      status: { session: done.status.session, source: done.status.source, reason: "layer 0 failed" },
    });
  });

  it("sets aside records that are not JSON or not the record's shape, each as a problem to re-derive", async () => {
    const good = recordFor("good");
    const files = new Map<string, string>([
      ["sessions/good.json", JSON.stringify(good)],
      ["sessions/broken.json", "{"],
      ["sessions/hand.json", JSON.stringify({ ...good, name: "hand", status: { session: "done" } })],
      ["sessions/renamed.json", JSON.stringify(recordFor("other"))],
      ["problems/sessions/p.yaml.json", JSON.stringify({ path: 3 })],
      ["expired/e.json", JSON.stringify([])],
    ]);
    const { store } = memoryStore(files);

    const { state } = await loadRecordedState(store, pino({ level: "silent" }));

    expect([...state.sessions.keys()]).toEqual(["good"]);
    expect(state.problems.size).toBe(0);
    expect(state.expired.size).toBe(0);
    const unreadable = state.unreadable ?? new Map();
    expect([...unreadable.keys()].sort()).toEqual([
      "expired/e.json",
      "problems/sessions/p.yaml.json",
      "sessions/broken.json",
      "sessions/hand.json",
      "sessions/renamed.json",
    ]);
    const hand = unreadable.get("sessions/hand.json");
    expect(hand).toMatchObject({
      path: "sessions/hand.json",
      commit: "t".repeat(40),
      blob: "oid:sessions/hand.json",
    });
    expect(hand?.errors[0]).toMatchObject({ code: "unreadable-record", line: 1, column: 1 });
    expect(hand?.errors[0]?.message).toContain("status.session is missing or not an object");
    expect(unreadable.get("sessions/broken.json")?.errors[0]?.message).toContain("not valid JSON");
    expect(unreadable.get("sessions/renamed.json")?.errors[0]?.message).toContain('name is not "renamed"');
  });
});
