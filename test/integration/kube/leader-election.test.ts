/**
 * Leader election against the shared real kube-apiserver (kube-global-setup): two candidates on
 * one Lease, a leader that dies (stops renewing), one that steps down, one that is overthrown, and
 * the supervisor running a controller loop only while its replica leads.
 */
import { CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { beforeAll, describe, expect, inject, it } from "vitest";
import {
  ControllerMetrics,
  ControllerSupervisor,
  LeaderElector,
  createKubeLeaseClient,
  type ElectionOutcome,
} from "../../../src/server/index.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { createNamespace, waitFor } from "../../helpers/kube-objects.js";

const namespace = "leader-election";
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
/** Short timings so a hand-over after death takes about two seconds. */
const fast = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };

const cluster = inject("kubeCluster");
let leases: CoordinationV1Api;

beforeAll(async () => {
  leases = kubeConfigFor(cluster).makeApiClient(CoordinationV1Api);
  await createNamespace(kubeConfigFor(cluster).makeApiClient(CoreV1Api), namespace);
});

/** One candidate with its own stop signal; `startedAt` is when it began to lead (ms, or null). */
function candidate(input: { lease: string; identity: string; timings?: typeof fast }) {
  const elector = new LeaderElector({
    client: createKubeLeaseClient({ api: leases, name: input.lease, namespace, timeoutMs: 1_000 }),
    identity: input.identity,
    log,
    ...(input.timings ?? fast),
  });
  const stop = new AbortController();
  const state = { startedAt: null as number | null };
  const outcome: Promise<ElectionOutcome> = elector.run({
    signal: stop.signal,
    onStartedLeading: () => (state.startedAt = Date.now()),
  });
  return { elector, stop, state, outcome };
}

/** Waits until `check` holds. */
function until(check: () => boolean, what: string, timeoutMs?: number): Promise<true> {
  const probe = (): Promise<true | undefined> => Promise.resolve(check() ? true : undefined);
  return waitFor(probe, timeoutMs === undefined ? { what } : { what, timeoutMs });
}

async function readLease(name: string) {
  return leases.readNamespacedLease({ name, namespace });
}

describe("LeaderElector on a real kube-apiserver", () => {
  it("hands over to the second candidate once a dead leader's lease expires, never before", async () => {
    const a = candidate({ lease: "handover", identity: "replica-a" });
    await until(() => a.elector.isLeader, "replica-a to lead");
    const b = candidate({ lease: "handover", identity: "replica-b" });
    await new Promise((resolve) => setTimeout(resolve, fast.leaseDurationMs + 500));
    expect(b.elector.isLeader).toBe(false);
    expect(b.elector.holder).toBe("replica-a");

    a.stop.abort(); // dies: stops renewing and never releases
    expect(await a.outcome).toBe("stopped");
    const last = await readLease("handover");
    const lastRenew = new Date(last.spec?.renewTime ?? 0).getTime();
    expect(last.spec?.holderIdentity).toBe("replica-a");

    await until(() => b.elector.isLeader, "replica-b to take over", 20_000);
    expect(b.state.startedAt).not.toBeNull();
    expect(b.state.startedAt!).toBeGreaterThanOrEqual(lastRenew + fast.leaseDurationMs);
    const lease = await readLease("handover");
    expect(lease.spec).toMatchObject({
      holderIdentity: "replica-b",
      leaseDurationSeconds: 2,
      leaseTransitions: 1,
    });
    b.stop.abort();
    await b.outcome;
    await b.elector.release();
  });

  it("hands over at once when the leader steps down and releases the lease", async () => {
    const slow = { leaseDurationMs: 30_000, renewDeadlineMs: 20_000, retryPeriodMs: 250 };
    const a = candidate({ lease: "release", identity: "replica-a", timings: slow });
    await until(() => a.elector.isLeader, "replica-a to lead");
    const b = candidate({ lease: "release", identity: "replica-b", timings: slow });
    await until(() => b.elector.holder === "replica-a", "replica-b to see a");

    const releasedAt = Date.now();
    a.stop.abort();
    await a.outcome;
    await a.elector.release();
    expect(a.elector.isLeader).toBe(false);
    await until(() => b.elector.isLeader, "replica-b to take the released lease", 20_000);
    expect(b.state.startedAt! - releasedAt).toBeLessThan(slow.leaseDurationMs);
    b.stop.abort();
    await b.outcome;
    await b.elector.release();
  });

  it("stops leading at once when another holder overwrote the lease", async () => {
    const a = candidate({ lease: "overthrown", identity: "replica-a" });
    await until(() => a.elector.isLeader, "replica-a to lead");
    const current = await readLease("overthrown");
    await leases.replaceNamespacedLease({
      name: "overthrown",
      namespace,
      body: { ...current, spec: { ...current.spec, holderIdentity: "intruder", leaseDurationSeconds: 60 } },
    });
    expect(await a.outcome).toBe("lost");
    expect(a.elector.isLeader).toBe(false);
    expect(a.elector.holder).toBe("intruder");
  });
});

describe("ControllerSupervisor with leader election", () => {
  /** A controller loop that records what the supervisor did to it. */
  function loop() {
    const calls: string[] = [];
    return {
      calls,
      start: () => {
        calls.push("start");
        return Promise.resolve();
      },
      stop: () => {
        calls.push("stop");
        return Promise.resolve();
      },
      trigger: (reason: string) => void calls.push(`trigger:${reason}`),
    };
  }

  function supervised(identity: string) {
    const controller = loop();
    const elector = new LeaderElector({
      client: createKubeLeaseClient({ api: leases, name: "supervised", namespace, timeoutMs: 1_000 }),
      identity,
      log,
      ...fast,
    });
    const supervisor = new ControllerSupervisor({
      controller,
      elector,
      metrics: new ControllerMetrics({ processMetrics: false }),
      log,
    });
    const stop = new AbortController();
    return { controller, elector, supervisor, stop, outcome: supervisor.run(stop.signal) };
  }

  it("runs the loop only on the leader; the standby starts its loop once the leader stops", async () => {
    const a = supervised("replica-a");
    await until(() => a.supervisor.active, "replica-a's loop");
    const b = supervised("replica-b");
    await until(() => b.elector.holder === "replica-a", "b to see a");
    expect(b.supervisor.active).toBe(false);
    expect(b.supervisor.trigger("webhook")).toBe(false);
    expect(b.supervisor.mayWrite()).toBe(false);
    expect(b.supervisor.leaderState()).toEqual({
      elect: true,
      leading: false,
      lease: `${namespace}/supervised`,
      holder: "replica-a",
    });
    expect(a.supervisor.trigger("webhook")).toBe(true);
    expect(a.supervisor.mayWrite()).toBe(true);

    a.stop.abort();
    expect(await a.outcome).toBe("stopped");
    expect(a.controller.calls).toEqual(["start", "trigger:webhook", "stop"]);
    await until(() => b.supervisor.active, "replica-b's loop", 20_000);
    expect(b.controller.calls).toEqual(["start"]);
    b.stop.abort();
    expect(await b.outcome).toBe("stopped");
    expect(b.controller.calls).toEqual(["start", "stop"]);
    expect((await readLease("supervised")).spec?.holderIdentity).toBeUndefined();
  });
});
