import { describe, expect, it } from "vitest";
import { MAX_LOG_BYTES, isProgressOnly, mergeStatusFile, tail } from "../../../src/controller/index.js";
import { newSessionRecord, type PlanOutput, type RecordedState } from "../../../src/plan/index.js";
import type { SessionRecord } from "../../../src/api/index.js";

function record(status: "pending" | "running" | "complete", succeeded = "none", blob = "b"): SessionRecord {
  const r = newSessionRecord({
    session: { apiVersion: "cfs-gitops/v1", kind: "Session", name: "x", configuration: { name: "c" } },
    source: { path: "sessions/x.yaml", commit: "c".repeat(40), blob },
    job: "cfs-x-1",
    options: null,
  });
  return {
    ...r,
    status: { ...r.status, session: { ...r.status.session, status, succeeded: succeeded as "none" } },
  };
}

function plan(sessions: Array<[string, SessionRecord | null]>, extra: Partial<PlanOutput> = {}): PlanOutput {
  return {
    actions: [],
    sessions: new Map(sessions),
    problems: new Map(),
    expired: new Map(),
    completed: [],
    ...extra,
  };
}

const recorded = (r: SessionRecord): RecordedState => ({
  sessions: new Map([["x", r]]),
  problems: new Map(),
  expired: new Map(),
});

describe("isProgressOnly", () => {
  it.each([
    [
      "a running record gaining a step",
      recorded(record("running")),
      plan([["x", { ...record("running"), status: { ...record("running").status, steps: [] } }]]),
      true,
    ],
    ["a status change", recorded(record("pending")), plan([["x", record("running")]]), false],
    [
      "a new record",
      { sessions: new Map(), problems: new Map(), expired: new Map() },
      plan([["x", record("pending")]]),
      false,
    ],
    ["a deletion", recorded(record("running")), plan([["x", null]]), false],
    ["a problem", recorded(record("running")), plan([], { problems: new Map([["p", null]]) }), false],
  ] as Array<[string, RecordedState, PlanOutput, boolean]>)("%s -> %s", (_what, state, p, expected) => {
    expect(isProgressOnly(p, state)).toBe(expected);
  });
});

describe("mergeStatusFile", () => {
  const buf = (r: SessionRecord): Buffer => Buffer.from(JSON.stringify(r));

  it("keeps the record that is further along when another writer moved the branch", () => {
    const theirs = buf(record("complete", "true"));
    const ours = buf(record("running"));
    expect(mergeStatusFile("sessions/x.json", theirs, ours)).toBe(theirs);
    expect(mergeStatusFile("sessions/x.json", ours, theirs)).toBe(theirs);
  });

  it("keeps ours for a record of another manifest version, for deletions and for other files", () => {
    const theirs = buf(record("complete", "true", "old"));
    const ours = buf(record("pending", "none", "new"));
    expect(mergeStatusFile("sessions/x.json", theirs, ours)).toBe(ours);
    expect(mergeStatusFile("sessions/x.json", theirs, null)).toBeNull();
    expect(mergeStatusFile("problems/a.yaml.json", theirs, ours)).toBe(ours);
    expect(mergeStatusFile("sessions/x.json", Buffer.from("{broken"), ours)).toBe(ours);
  });

  it("keeps ours when theirs is JSON but not a session record (a hand edit)", () => {
    const ours = buf(record("running"));
    const hand = Buffer.from(JSON.stringify({ name: "x", status: { session: { status: "complete" } } }));
    expect(mergeStatusFile("sessions/x.json", hand, ours)).toBe(ours);
  });
});

describe("tail", () => {
  it("keeps short logs whole and cuts long ones to their end, saying so", () => {
    expect(tail("short\n")).toBe("short\n");
    const long = `${"a".repeat(MAX_LOG_BYTES)}THE END`;
    const cut = tail(long);
    expect(cut.startsWith("[cfs-gitops: log cut")).toBe(true);
    expect(cut.endsWith("THE END")).toBe(true);
    expect(Buffer.byteLength(cut)).toBeLessThan(MAX_LOG_BYTES + 100);
  });
});
