import { ApiException } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { RunObservation, SessionRecord } from "../../../src/api/index.js";
import { Controller, type LoopFailure } from "../../../src/controller/index.js";
import { GitAuthError, GitFetchError } from "../../../src/git/errors.js";
import { apiError } from "../../../src/runners/kubernetes/api-errors.js";
import {
  ManualClock,
  MemorySource,
  ScriptedRunner,
  configurationText,
  memoryStatus,
  sessionText,
} from "./fakes.js";

const log = pino({ level: "silent" });
const apiDown = (code: number): Error => apiError("create Job x", new ApiException(code, "m", "{}", {}));

interface Rig {
  clock: ManualClock;
  source: MemorySource;
  status: ReturnType<typeof memoryStatus>;
  runner: ScriptedRunner;
  controller: Controller;
  failures: LoopFailure[];
  /** Every version of sessions/<name>.json committed, in order. */
  history: (name: string) => SessionRecord[];
}

function rig(options: { progressIntervalMs?: number; resyncMs?: number } = {}): Rig {
  const clock = new ManualClock();
  const source = new MemorySource();
  source.push({
    "configurations/cfg.yaml": configurationText("cfg"),
    "sessions/x.yaml": sessionText("x", "cfg"),
  });
  const status = memoryStatus();
  const commits: Array<Map<string, Buffer | null>> = [];
  const commit = status.commit.bind(status);
  status.commit = (input) => {
    commits.push(new Map(input.changes));
    return commit(input);
  };
  const runner = new ScriptedRunner();
  const failures: LoopFailure[] = [];
  const controller = new Controller({
    source,
    status,
    runner,
    log,
    now: clock.now,
    sleep: clock.sleep,
    random: () => 1,
    retry: { baseMs: 1_000, maxMs: 8_000 },
    onFailure: (failure) => failures.push(failure),
    ...options,
  });
  const history = (name: string): SessionRecord[] =>
    commits.flatMap((changes) => {
      const content = changes.get(`sessions/${name}.json`);
      return content ? [JSON.parse(content.toString("utf8")) as SessionRecord] : [];
    });
  return { clock, source, status, runner, controller, failures, history };
}

function running(name: string, job: string, extra: Partial<RunObservation> = {}): RunObservation {
  return {
    name,
    job,
    phase: "running",
    succeeded: "none",
    startTime: "2026-11-21T12:00:00Z",
    completionTime: null,
    layers: [],
    steps: [],
    artifacts: [],
    reason: null,
    ...extra,
  };
}

describe("Controller failure handling", () => {
  it("keeps a session pending while its start fails transiently, retries with backoff, and never records it failed", async () => {
    const r = rig();
    r.runner.startFailures.push(apiDown(503), apiDown(500), new GitFetchError("reset"));

    await r.controller.pass();
    expect(r.controller.health).toMatchObject({ state: "retrying", failures: 1 });
    expect(r.clock.waits).toEqual([1_000]);
    await r.clock.advance(999);
    expect(r.runner.started).toEqual([]);
    await r.clock.advance(1);
    expect(r.clock.waits).toEqual([1_000, 2_000]);
    await r.clock.advance(2_000);
    expect(r.clock.waits).toEqual([1_000, 2_000, 4_000]);
    await r.clock.advance(4_000);

    expect(r.runner.started).toEqual(["x"]);
    expect(r.controller.health).toEqual({ state: "ok", failures: 0, last: null });
    expect(r.failures.map((f) => [f.scope, f.failure])).toEqual([
      ["start", "transient"],
      ["start", "transient"],
      ["start", "transient"],
    ]);
    const statuses = r.history("x").map((h) => h.status.session);
    expect(statuses.every((s) => s.succeeded === "none" && s.status === "pending")).toBe(true);
    expect(r.clock.pending).toBe(0);
  });

  it("fails the session with the reason when the API refuses its Job (4xx), and the loop stays ok", async () => {
    const r = rig();
    r.runner.startFailures.push(apiDown(422));
    await r.controller.pass();
    const last = r.history("x").at(-1);
    expect(last?.status.session).toMatchObject({ status: "complete", succeeded: "false" });
    expect(last?.status.reason).toMatch(
      /^the runner could not start the session: could not create Job x: 422/,
    );
    expect(r.controller.health.state).toBe("ok");
    expect(r.clock.pending).toBe(0);
  });

  it("stalls visibly on bad credentials, without a retry loop, and recovers on a later pass", async () => {
    const r = rig();
    const fetchTip = r.source.fetchTip.bind(r.source);
    r.source.fetchTip = () => Promise.reject(new GitAuthError("the server refused the credentials"));
    await r.controller.pass();
    expect(r.controller.health).toMatchObject({
      state: "stalled",
      last: { scope: "pass", failure: "stalling", message: "the server refused the credentials" },
    });
    expect(r.clock.pending).toBe(0);
    await expect(r.controller.runUntilSettled({ timeoutMs: 60_000 })).rejects.toThrow(GitAuthError);

    r.source.fetchTip = fetchTip;
    await r.controller.pass();
    expect(r.controller.health.state).toBe("ok");
  });

  it("runUntilSettled retries a transient pass failure with backoff until it passes", async () => {
    const r = rig();
    const fetchTip = r.source.fetchTip.bind(r.source);
    let failures = 2;
    r.source.fetchTip = () => (failures-- > 0 ? Promise.reject(new GitFetchError("503")) : fetchTip());
    const settled = r.controller.runUntilSettled({ timeoutMs: 60_000, pollMs: 100 });
    await r.clock.advance(1_000);
    await r.clock.advance(2_000);
    expect(new Set(r.runner.started)).toEqual(new Set(["x"]));
    const job = r.history("x")[0]!.status.session.job!;
    r.runner.set(
      running("x", job, { phase: "complete", succeeded: "true", completionTime: "2026-11-21T12:01:00Z" }),
    );
    await r.clock.advance(100);
    await r.clock.advance(100);
    expect(await settled).toBe(true);
  });

  it("runUntilSettled throws the last transient error when its time runs out", async () => {
    const r = rig();
    r.source.fetchTip = () => Promise.reject(new GitFetchError("unreachable"));
    const settled = r.controller.runUntilSettled({ timeoutMs: 10_000 });
    const outcome = expect(settled).rejects.toThrow("unreachable");
    for (let i = 0; i < 10; i += 1) await r.clock.advance(2_000);
    await outcome;
  });

  it("runUntilSettled answers false when sessions are still unfinished at the timeout", async () => {
    const r = rig();
    const settled = r.controller.runUntilSettled({ timeoutMs: 1_000, pollMs: 250 });
    for (let i = 0; i < 5; i += 1) await r.clock.advance(250);
    expect(await settled).toBe(false);
  });

  it("retries a failed removal of an expired session on later passes until it is done", async () => {
    const r = rig();
    r.source.push({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\nsession_ttl: 1m\n" });
    await r.controller.pass();
    const job = r.history("x")[0]!.status.session.job!;
    r.runner.set(
      running("x", job, { phase: "complete", succeeded: "true", completionTime: "2026-11-21T12:00:00Z" }),
    );
    await r.controller.pass();
    expect(r.history("x").at(-1)?.status.session.status).toBe("complete");

    r.runner.removeFailures.push(new Error("IMS cleanup incomplete"), apiDown(503));
    await r.clock.advance(120_000);
    await r.controller.pass();
    expect(r.status.files.has("sessions/x.json")).toBe(true);
    expect(r.status.files.has("expired/x.json")).toBe(false);
    expect(r.controller.health.state).toBe("stalled");
    await r.controller.pass();
    expect(r.controller.health.state).toBe("retrying");
    await r.clock.advance(2_000);
    expect(r.runner.removed).toEqual(["x"]);
    expect(r.status.files.has("sessions/x.json")).toBe(false);
    expect(r.status.files.has("expired/x.json")).toBe(true);
    expect(r.controller.health.state).toBe("ok");
  });

  it("commits progress at most once per interval, on the injected clock", async () => {
    const r = rig({ progressIntervalMs: 10_000 });
    await r.controller.pass();
    const job = r.history("x")[0]!.status.session.job!;
    r.runner.set(running("x", job));
    await r.controller.pass();
    const commits = (): number => r.history("x").length;
    expect(commits()).toBe(2);
    const step = {
      name: "git-clone-0",
      status: "succeeded" as const,
      exit_code: 0,
      start_time: null,
      completion_time: null,
    };
    r.runner.set(running("x", job, { steps: [step] }));
    await r.controller.pass();
    expect(commits()).toBe(2);
    expect(r.clock.waits).toEqual([10_000]);
    await r.clock.advance(9_999);
    expect(commits()).toBe(2);
    await r.clock.advance(1);
    expect(commits()).toBe(3);
    expect(r.history("x").at(-1)?.status.steps).toEqual([step]);
  });

  it("the resync timer runs a pass every resyncMs until stop()", async () => {
    const r = rig({ resyncMs: 30_000 });
    let passes = 0;
    const pass = r.controller.pass.bind(r.controller);
    r.controller.pass = () => {
      passes += 1;
      return pass();
    };
    await r.controller.start();
    expect(passes).toBe(1);
    await r.clock.advance(30_000);
    await r.clock.advance(30_000);
    expect(passes).toBe(3);
    await r.controller.stop();
    expect(r.clock.pending).toBe(0);
  });
});
