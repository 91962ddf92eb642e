import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { jobName, type SessionRecord } from "../../../src/api/index.js";
import {
  backoffMs,
  decideFailure,
  foldResults,
  newSessionRecord,
  orderActions,
  planPass,
  type Action,
  type RecordedState,
} from "../../../src/plan/index.js";
import {
  COMMIT,
  configuration,
  configurationFile,
  desiredOf,
  observation,
  session,
  sessionFile,
  withStatus,
} from "./fixtures.js";

const NOW = new Date("2026-11-21T12:00:00Z");
const empty = (): RecordedState => ({ sessions: new Map(), problems: new Map(), expired: new Map() });

function recordFor(name: string): SessionRecord {
  return newSessionRecord({
    session: session(name),
    source: { path: `sessions/${name}.yaml`, commit: COMMIT, blob: `b-${name}` },
    job: jobName(name, `b-${name}`),
    options: null,
  });
}

function plannedStart(): { plan: ReturnType<typeof planPass>; start: Action } {
  const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
  const plan = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
  const start = plan.actions[0]!;
  return { plan, start };
}

describe("foldResults", () => {
  it("leaves a session pending, never failed, when its start failed transiently", () => {
    const { plan, start } = plannedStart();
    const out = foldResults({
      plan,
      results: [{ action: start, ok: false, failure: "transient", message: "503 Service Unavailable" }],
      recorded: empty(),
      now: NOW,
    });
    expect(out.sessions.get("x")?.status.session).toMatchObject({ status: "pending", succeeded: "none" });
    expect(out.completed).toEqual([]);
  });

  it("completes a session succeeded false with the reason when its start failed for good", () => {
    for (const failure of ["stalling", "session"] as const) {
      const { plan, start } = plannedStart();
      const out = foldResults({
        plan,
        results: [{ action: start, ok: false, failure, message: "422 Job is invalid" }],
        recorded: empty(),
        now: NOW,
      });
      const record = out.sessions.get("x");
      expect(record?.status.session).toMatchObject({ status: "complete", succeeded: "false" });
      expect(record?.status.reason).toBe("the runner could not start the session: 422 Job is invalid");
      expect(out.completed).toEqual(["x"]);
      expect(plan.sessions.get("x")?.status.session.status).toBe("pending");
    }
  });

  it("keeps an expired session's record, and writes no expired record, when its removal failed", () => {
    const record = withStatus(recordFor("x"), "complete", "true", "2026-11-01T00:00:00Z");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const files = [configurationFile(configuration()), sessionFile(session("x"))];
    const plan = planPass({ desired: desiredOf(files), recorded, observed: new Map(), now: NOW });
    const remove = plan.actions[0]!;
    expect(remove).toMatchObject({ type: "remove", why: "expired" });

    const out = foldResults({
      plan,
      results: [{ action: remove, ok: false, failure: "transient", message: "IMS unreachable" }],
      recorded,
      now: NOW,
    });
    expect(out.sessions.has("x")).toBe(false);
    expect(out.expired.has("x")).toBe(false);
    // The next pass, from the same records, plans the removal again.
    const again = planPass({ desired: desiredOf(files), recorded, observed: new Map(), now: NOW });
    expect(again.actions).toEqual([remove]);
  });

  it("keeps a deleted session's record while its removal fails, so later passes retry it", () => {
    const record = withStatus(recordFor("x"), "running");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const plan = planPass({ desired: desiredOf([]), recorded, observed: new Map(), now: NOW });
    const out = foldResults({
      plan,
      results: [{ action: plan.actions[0]!, ok: false, failure: "stalling", message: "403" }],
      recorded,
      now: NOW,
    });
    expect(out.sessions.has("x")).toBe(false);
    expect(plan.sessions.get("x")).toBeNull();
  });

  it("changes nothing when every action succeeded", () => {
    const { plan, start } = plannedStart();
    const out = foldResults({ plan, results: [{ action: start, ok: true }], recorded: empty(), now: NOW });
    expect(out).toEqual({ ...plan, quiet: undefined }); // what the plan found of completed sessions stays with the planner
  });
});

describe("orderActions", () => {
  const start = (name: string): Action => plannedStartFor(name);
  function plannedStartFor(name: string): Action {
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session(name))]);
    return planPass({ desired, recorded: empty(), observed: new Map(), now: NOW }).actions[0]!;
  }
  const remove = (name: string): Action => ({ type: "remove", name, job: `job-${name}`, why: "deleted" });

  it("removes queued runs, then running ones, then starts", () => {
    const observed = new Map([
      ["a-running", observation("a-running", "job-a-running")],
      ["b-queued", observation("b-queued", "job-b-queued", { phase: "pending" })],
    ]);
    const actions = [start("c"), remove("a-running"), remove("b-queued")];
    expect(orderActions(actions, observed).map((a) => (a.type === "start" ? a.spec.name : a.name))).toEqual([
      "b-queued",
      "a-running",
      "c",
    ]);
  });

  it("plans a pass that deletes a running and a pending session with the pending one removed first", () => {
    const running = withStatus(recordFor("a"), "running");
    const pending = recordFor("b");
    const recorded = {
      ...empty(),
      sessions: new Map([
        ["a", running],
        ["b", pending],
      ]),
    };
    const observed = new Map([
      ["a", observation("a", running.status.session.job!)],
      ["b", observation("b", pending.status.session.job!, { phase: "pending" })],
    ]);
    const out = planPass({
      desired: desiredOf([configurationFile(configuration())]),
      recorded,
      observed,
      now: NOW,
    });
    expect(out.actions.map((a) => (a.type === "remove" ? a.name : "start"))).toEqual(["b", "a"]);
  });
});

describe("planPass with unreadable status records", () => {
  const problem = (path: string) => ({
    path,
    commit: "s".repeat(40),
    blob: "bad",
    errors: [{ line: 1, column: 1, code: "unreadable-record", message: "unreadable" }],
  });

  it("re-derives the session of an unreadable record and records the problem", () => {
    const recorded = { ...empty(), unreadable: new Map([["sessions/x.json", problem("sessions/x.json")]]) };
    const obs = observation("x", jobName("x", "b-x"));
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const out = planPass({ desired, recorded, observed: new Map([["x", obs]]), now: NOW });
    expect(out.sessions.get("x")?.status.session.status).toBe("running");
    expect(out.actions).toEqual([]);
    expect(out.problems.get("sessions/x.json")?.errors[0]?.code).toBe("unreadable-record");
  });

  it("deletes an unreadable record whose manifest is gone, and clears the problem once it is", () => {
    const recorded = { ...empty(), unreadable: new Map([["sessions/x.json", problem("sessions/x.json")]]) };
    const out = planPass({ desired: desiredOf([]), recorded, observed: new Map(), now: NOW });
    expect(out.sessions.get("x")).toBeNull();
    const after = { ...empty(), problems: new Map([["sessions/x.json", problem("sessions/x.json")]]) };
    const next = planPass({ desired: desiredOf([]), recorded: after, observed: new Map(), now: NOW });
    expect(next.problems.get("sessions/x.json")).toBeNull();
  });
});

describe("decideFailure", () => {
  it("backs off on transient failures, fails a start for good otherwise, and stalls a pass or a removal", () => {
    expect(decideFailure("transient", "start")).toEqual({
      retry: "backoff",
      failSession: false,
      stall: false,
    });
    expect(decideFailure("transient", "pass")).toEqual({
      retry: "backoff",
      failSession: false,
      stall: false,
    });
    expect(decideFailure("stalling", "start")).toEqual({ retry: "none", failSession: true, stall: false });
    expect(decideFailure("session", "start")).toEqual({ retry: "none", failSession: true, stall: false });
    expect(decideFailure("stalling", "pass")).toEqual({ retry: "resync", failSession: false, stall: true });
    expect(decideFailure("stalling", "remove")).toEqual({ retry: "resync", failSession: false, stall: true });
  });
});

describe("backoffMs", () => {
  it("doubles from the base up to the cap, jittered into [50%, 100%]", () => {
    const at = (attempt: number, random: number): number =>
      backoffMs({ attempt, baseMs: 1000, maxMs: 60_000, random });
    expect([1, 2, 3, 4].map((n) => at(n, 1))).toEqual([1000, 2000, 4000, 8000]);
    expect(at(1, 0)).toBe(500);
    expect(at(40, 1)).toBe(60_000);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, r) => {
        const ms = at(n, r);
        return ms >= 500 && ms <= 60_000;
      }),
    );
  });
});
