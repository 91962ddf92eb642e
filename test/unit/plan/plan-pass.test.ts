import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  isSettledSession,
  jobName,
  type KeptSession,
  type OptionsManifest,
  type SessionRecord,
} from "../../../src/api/index.js";
import {
  applyObservation,
  assembleDesired,
  type RepoFile,
  newSessionRecord,
  planPass,
  planNames,
  settleRecord,
  statusRank,
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

function recordFor(name: string, blob = `b-${name}`): SessionRecord {
  return newSessionRecord({
    session: session(name),
    source: { path: `sessions/${name}.yaml`, commit: COMMIT, blob },
    job: jobName(name, blob),
    options: null,
  });
}

describe("planPass", () => {
  it("creates a pending record and starts the run when a session manifest is added", () => {
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    expect(out.sessions.get("x")?.status.session).toMatchObject({ status: "pending", succeeded: "none" });
    expect(out.actions).toHaveLength(1);
    const action = out.actions[0];
    expect(action?.type).toBe("start");
    if (action?.type === "start") {
      expect(action.spec.job).toBe(jobName("x", "b-x"));
      expect(action.spec.layers.map((l) => l.index)).toEqual([0, 1]);
    }
  });

  it("hands the runner the session_ttl of cfs.yaml, or CFS's default", () => {
    const options = {
      path: "cfs.yaml",
      blob: "o",
      commit: COMMIT,
      parsed: {
        ok: true as const,
        kind: "Options" as const,
        name: "cfs",
        manifest: { apiVersion: "cfs-gitops/v1", kind: "Options" as const, session_ttl: "2d" },
      },
    };
    const files = [configurationFile(configuration()), sessionFile(session("x"))];
    const start = (desired: ReturnType<typeof desiredOf>) => {
      const action = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW }).actions[0];
      return action?.type === "start" ? action.spec.sessionTtl : undefined;
    };
    expect(start(desiredOf([...files, options]))).toBe("2d");
    expect(start(desiredOf(files))).toBe("7d");
  });

  it("runs only the layers a configuration.limit names, keeping their indices", () => {
    const desired = desiredOf([
      configurationFile(configuration("cfg", 3)),
      sessionFile(session("x", { configuration: { name: "cfg", limit: "l0,l2" } })),
    ]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    const action = out.actions[0];
    expect(action?.type === "start" && action.spec.layers.map((l) => l.index)).toEqual([0, 2]);
  });

  it("records a problem and runs nothing when the configuration does not exist", () => {
    const desired = desiredOf([sessionFile(session("x"))]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.sessions.size).toBe(0);
    expect(out.problems.get("sessions/x.yaml")?.errors[0]).toMatchObject({
      code: "unknown-configuration",
      line: 3,
    });
  });

  it("does not block other sessions because of one bad file", () => {
    const bad = {
      path: "sessions/bad.yaml",
      blob: "bb",
      commit: COMMIT,
      parsed: {
        ok: false as const,
        kind: "Session" as const,
        name: null,
        errors: [{ line: 1, column: 1, message: "x", code: "yaml" }],
      },
    };
    const desired = desiredOf([configurationFile(configuration()), bad, sessionFile(session("good"))]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    expect([...out.sessions.keys()]).toEqual(["good"]);
    expect(out.problems.has("sessions/bad.yaml")).toBe(true);
  });

  it("leaves both files out when two session files use one name", () => {
    const a = sessionFile(session("x"));
    const b = { ...sessionFile(session("x"), "other"), path: "sessions/x.yml" };
    const desired = desiredOf([configurationFile(configuration()), a, b]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.problems.get("sessions/x.yml")?.errors[0]?.code).toBe("duplicate");
    expect(out.problems.get("sessions/x.yaml")?.errors[0]?.code).toBe("duplicate");
  });

  it("records a problem and runs nothing when configuration.limit names a missing layer", () => {
    const desired = desiredOf([
      configurationFile(configuration("cfg", 2)),
      sessionFile(session("x", { configuration: { name: "cfg", limit: "l0,nope" } })),
    ]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.problems.get("sessions/x.yaml")?.errors[0]?.code).toBe("unknown-layer");
  });

  it("runs every layer when configuration.limit holds only commas and blanks", () => {
    const desired = desiredOf([
      configurationFile(configuration("cfg", 2)),
      sessionFile(session("x", { configuration: { name: "cfg", limit: " , " } })),
    ]);
    const out = planPass({ desired, recorded: empty(), observed: new Map(), now: NOW });
    const action = out.actions[0];
    expect(action?.type === "start" && action.spec.layers.map((l) => l.index)).toEqual([0, 1]);
  });

  it("keeps every session of a large repository, leaving out only the duplicate pair", () => {
    const files = Array.from({ length: 3_000 }, (_, i) => sessionFile(session(`s${i}`)));
    const twin = { ...sessionFile(session("s7"), "other"), path: "sessions/s7.yml" };
    const desired = desiredOf([configurationFile(configuration()), ...files, twin]);
    expect(desired.sessions.size).toBe(2_999);
    expect(desired.sessions.has("s7")).toBe(false);
    expect(desired.problems.get("sessions/s7.yml")?.errors[0]?.code).toBe("duplicate");
  });

  it("moves a record forward with the runner's observation", () => {
    const record = recordFor("x");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const observed = new Map([["x", observation("x", record.status.session.job!)]]);
    const out = planPass({ desired, recorded, observed, now: NOW });
    expect(out.sessions.get("x")?.status.session.status).toBe("running");
    expect(out.actions).toEqual([]);
  });

  it("lists a session as completed in the pass it completes", () => {
    const record = withStatus(recordFor("x"), "running");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const obs = observation("x", record.status.session.job!, {
      phase: "complete",
      succeeded: "true",
      completionTime: "2026-11-21T11:00:00Z",
    });
    const out = planPass({ desired, recorded, observed: new Map([["x", obs]]), now: NOW });
    expect(out.completed).toEqual(["x"]);
    expect(out.sessions.get("x")?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
  });

  it("deletes the run and the record when the manifest is removed", () => {
    const record = withStatus(recordFor("x"), "running");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const desired = desiredOf([configurationFile(configuration())]);
    const out = planPass({ desired, recorded, observed: new Map(), now: NOW });
    expect(out.sessions.get("x")).toBeNull();
    expect(out.actions).toEqual([
      { type: "remove", name: "x", job: record.status.session.job, why: "deleted" },
    ]);
  });

  it("keeps a started session when its manifest is edited, and reports the edit as a problem", () => {
    const record = withStatus(recordFor("x"), "running");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const edited = sessionFile(session("x", { debug_on_failure: true }), "new-blob");
    const desired = desiredOf([configurationFile(configuration()), edited]);
    const obs = observation("x", record.status.session.job!);
    const out = planPass({ desired, recorded, observed: new Map([["x", obs]]), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.sessions.get("x")?.status.source.blob ?? "b-x").toBe("b-x");
    expect(out.problems.get("sessions/x.yaml")?.errors[0]?.code).toBe("immutable");
  });

  it("keeps a session whose manifest became invalid (the file is still there)", () => {
    const record = withStatus(recordFor("x"), "running");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const broken = {
      path: "sessions/x.yaml",
      blob: "broken",
      commit: COMMIT,
      parsed: {
        ok: false as const,
        kind: "Session" as const,
        name: null,
        errors: [{ line: 2, column: 1, message: "bad", code: "yaml" }],
      },
    };
    const desired = desiredOf([configurationFile(configuration()), broken]);
    const obs = observation("x", record.status.session.job!);
    const out = planPass({ desired, recorded, observed: new Map([["x", obs]]), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.sessions.get("x")).not.toBeNull();
  });

  it("ends a running session whose run the runner lost as complete/unknown, and never starts it again", () => {
    const record = withStatus(recordFor("x"), "running");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const out = planPass({ desired, recorded, observed: new Map(), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.sessions.get("x")?.status.session).toMatchObject({ status: "complete", succeeded: "unknown" });
  });

  it("starts a pending session the runner never saw (idempotent start after a crash)", () => {
    const record = recordFor("x");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const out = planPass({ desired, recorded, observed: new Map(), now: NOW });
    expect(out.actions.map((a) => a.type)).toEqual(["start"]);
    expect(out.sessions.has("x")).toBe(false);
  });

  it("removes a run that no session references", () => {
    const desired = desiredOf([configurationFile(configuration())]);
    const out = planPass({
      desired,
      recorded: empty(),
      observed: new Map([["ghost", observation("ghost", "cfs-ghost-1")]]),
      now: NOW,
    });
    expect(out.actions).toEqual([{ type: "remove", name: "ghost", job: "cfs-ghost-1", why: "orphan" }]);
  });

  it("deletes a completed session older than session_ttl and remembers it so it does not run again", () => {
    const record = withStatus(recordFor("x"), "complete", "true", "2026-11-01T00:00:00Z");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const files = [configurationFile(configuration()), sessionFile(session("x"))];
    const out = planPass({ desired: desiredOf(files), recorded, observed: new Map(), now: NOW });
    expect(out.sessions.get("x")).toBeNull();
    expect(out.expired.get("x")).toMatchObject({ name: "x", blob: "b-x" });
    const next = planPass({
      desired: desiredOf(files),
      recorded: { ...empty(), expired: new Map([["x", out.expired.get("x")!]]) },
      observed: new Map(),
      now: NOW,
    });
    expect(next.actions).toEqual([]);
    expect(next.sessions.size).toBe(0);
  });

  it("keeps a completed session younger than session_ttl", () => {
    const record = withStatus(recordFor("x"), "complete", "true", "2026-11-21T11:00:00Z");
    const recorded = { ...empty(), sessions: new Map([["x", record]]) };
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const out = planPass({ desired, recorded, observed: new Map(), now: NOW });
    expect(out.actions).toEqual([]);
    expect(out.sessions.size).toBe(0);
  });

  it("plans a completed session kept in its compact form exactly as its whole record", () => {
    const young = withStatus(recordFor("young"), "complete", "true", "2026-11-21T11:00:00Z");
    const old = withStatus(recordFor("old"), "complete", "false", "2026-11-01T00:00:00Z");
    const gone = withStatus(recordFor("gone"), "complete", "true", "2026-11-21T11:00:00Z");
    const edited = withStatus(recordFor("edited", "b-first"), "complete", "true", "2026-11-21T11:00:00Z");
    const files = [
      configurationFile(configuration()),
      ...["young", "old", "edited"].map((name) => sessionFile(session(name))),
    ];
    const plan = (keep: (record: SessionRecord) => KeptSession) =>
      planPass({
        desired: desiredOf(files),
        recorded: { ...empty(), sessions: new Map([young, old, gone, edited].map((r) => [r.name, keep(r)])) },
        observed: new Map(),
        now: NOW,
      });
    const settled = plan(settleRecord);
    expect([young, old, gone, edited].map((r) => isSettledSession(settleRecord(r)))).toEqual([
      true,
      true,
      true,
      true,
    ]);
    expect(settled).toEqual(plan((record) => record));
    expect(settled.actions.map((a) => (a.type === "remove" ? `${a.name} ${a.why}` : a.type))).toEqual([
      "gone deleted",
      "old expired",
    ]);
    expect([...settled.problems.keys()]).toEqual(["sessions/edited.yaml"]);
  });

  it("clears a recorded problem once the file is fixed", () => {
    const recorded = {
      ...empty(),
      problems: new Map([
        ["sessions/x.yaml", { path: "sessions/x.yaml", commit: COMMIT, blob: "old", errors: [] }],
      ]),
    };
    const desired = desiredOf([configurationFile(configuration()), sessionFile(session("x"))]);
    const out = planPass({ desired, recorded, observed: new Map(), now: NOW });
    expect(out.problems.get("sessions/x.yaml")).toBeNull();
  });
});

describe("planPass over the names that may change", () => {
  const record = fc.constantFrom("none", "pending", "running", "complete", "settled");
  const completion = fc.constantFrom("2026-11-21T11:00:00Z", "2026-11-01T00:00:00Z", "not a time", null);
  const manifest = fc.constantFrom("none", "same", "edited");
  const run = fc.constantFrom("none", "same job", "other job");
  const one = fc.record({ record, completion, manifest, present: fc.boolean(), run });
  const ttl = fc.constantFrom("7d", "0", "1h", undefined);

  it("plans exactly what planning every name plans (completed sessions nothing moves are left out)", () => {
    fc.assert(
      fc.property(fc.array(one, { maxLength: 12 }), ttl, (cases, sessionTtl) => {
        const sessions = new Map<string, KeptSession>();
        const observed = new Map<string, ReturnType<typeof observation>>();
        const files = [configurationFile(configuration())];
        const settled: string[] = [];
        cases.forEach((c, i) => {
          const name = `s${i}`;
          const base = recordFor(name);
          if (c.record !== "none") {
            const status = c.record === "settled" ? "complete" : c.record;
            const done = status === "complete";
            const kept = withStatus(base, status, done ? "true" : "none", done ? c.completion : null);
            sessions.set(name, c.record === "settled" ? settleRecord(kept) : kept);
          }
          if (c.manifest !== "none")
            files.push(sessionFile(session(name), c.manifest === "same" ? `b-${name}` : "b-new"));
          else if (c.present) settled.push(`sessions/${name}.yaml`);
          if (c.run !== "none") {
            const job = c.run === "same job" ? (base.status.session.job ?? "") : "cfs-other";
            observed.set(name, observation(name, job, { phase: "complete", succeeded: "true" }));
          }
        });
        const desired = assembleDesired({
          commit: COMMIT,
          files: sessionTtl === undefined ? files : [...files, optionsFile(sessionTtl)],
          locate: () => ({ line: 1, column: 1 }),
          settledPaths: settled,
        });
        const input = { desired, recorded: { ...empty(), sessions }, observed, now: NOW };
        const every = [
          ...new Set([...sessions.keys(), ...desired.sessions.keys(), ...observed.keys()]),
        ].sort();
        expect({ ...planPass(input), quiet: undefined }).toEqual(planNames(input, every));
      }),
      { numRuns: 300 },
    );
  });
});

function optionsFile(sessionTtl: string): RepoFile {
  const manifest = {
    apiVersion: "cfs-gitops/v1",
    kind: "Options",
    session_ttl: sessionTtl,
  } as OptionsManifest;
  return {
    path: "cfs.yaml",
    blob: "b-options",
    commit: COMMIT,
    parsed: { ok: true, kind: "Options", name: "cfs", manifest },
  };
}

describe("applyObservation", () => {
  const phases = fc.constantFrom<"pending" | "running" | "complete">("pending", "running", "complete");
  const succ = fc.constantFrom<"none" | "true" | "false" | "unknown">("none", "true", "false", "unknown");

  it("never moves status backward nor changes succeeded once set, whatever the order of observations", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(phases, succ), { maxLength: 12 }), (seq) => {
        let record = recordFor("x");
        for (const [phase, succeeded] of seq) {
          const before = record.status.session;
          record = applyObservation(
            record,
            observation("x", before.job!, { phase, succeeded: phase === "complete" ? succeeded : "none" }),
          );
          const after = record.status.session;
          if (statusRank(after.status) < statusRank(before.status)) return false;
          if (before.succeeded !== "none" && after.succeeded !== before.succeeded) return false;
          if (before.status === "complete" && after !== before) return false;
        }
        return true;
      }),
    );
  });
});
