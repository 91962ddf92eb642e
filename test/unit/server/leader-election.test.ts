/**
 * Leader election's timing rules with a virtual clock. The lease store here is a few lines of
 * in-memory compare-and-swap on resourceVersion; the same elector runs against the real
 * kube-apiserver in test/integration/kube/leader-election.test.ts.
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import {
  LeaderElector,
  decideLease,
  nextLeaseRecord,
  releasedLeaseRecord,
  type LeaseClient,
  type LeaseRecord,
  type StoredLease,
} from "../../../src/server/leader-election.js";

const log = pino({ level: "silent" });
const timings = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

function record(holder: string | null, transitions = 0): LeaseRecord {
  return {
    holderIdentity: holder,
    leaseDurationSeconds: 15,
    acquireTime: new Date(0),
    renewTime: new Date(0),
    leaseTransitions: transitions,
  };
}

/** An in-memory lease with the API's optimistic concurrency, and hooks to make calls fail. */
class MemoryLease implements LeaseClient {
  readonly description = "test/lease";
  stored: StoredLease | null = null;
  private version = 0;
  failWrites = false;

  get(): Promise<StoredLease | null> {
    return Promise.resolve(this.stored && structuredClone(this.stored));
  }

  create(next: LeaseRecord): Promise<StoredLease | null> {
    if (this.stored) return Promise.resolve(null);
    return Promise.resolve(this.write(next));
  }

  update(next: LeaseRecord, resourceVersion: string): Promise<StoredLease | null> {
    if (this.failWrites) return Promise.reject(new Error("connection refused"));
    if (this.stored?.resourceVersion !== resourceVersion) return Promise.resolve(null);
    return Promise.resolve(this.write(next));
  }

  write(next: LeaseRecord): StoredLease {
    this.version += 1;
    this.stored = { record: structuredClone(next), resourceVersion: String(this.version) };
    return structuredClone(this.stored);
  }
}

/** A virtual clock: sleeping advances it; `onSleep` runs before each wake-up. */
function virtualTime(onSleep: (now: number) => void = () => undefined) {
  const clock = { now: 0 };
  return {
    clock,
    now: () => clock.now,
    sleep: (ms: number) => {
      clock.now += ms;
      onSleep(clock.now);
      return Promise.resolve();
    },
  };
}

describe("decideLease", () => {
  const base = { identity: "me", observedAt: 1_000, now: 2_000 };
  it.each<[string, LeaseRecord, number, string]>([
    ["renews its own lease", record("me"), 2_000, "renew"],
    ["takes a released lease at once", record(null), 2_000, "takeover"],
    ["takes a lease with an empty holder at once", record(""), 2_000, "takeover"],
    ["leaves a lease another holder renewed recently", record("other"), 15_999, "held"],
    ["takes a lease nobody renewed for its duration, on its own clock", record("other"), 16_000, "takeover"],
  ])("%s", (_what, lease, now, expected) => {
    expect(decideLease({ ...base, record: lease, now })).toBe(expected);
  });
});

describe("nextLeaseRecord", () => {
  const now = new Date(5_000);
  it("creates with no transitions", () => {
    expect(nextLeaseRecord({ current: null, identity: "me", now, leaseDurationSeconds: 15 })).toEqual({
      holderIdentity: "me",
      leaseDurationSeconds: 15,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: 0,
    });
  });

  it("renews: keeps the acquire time and the transition count", () => {
    const next = nextLeaseRecord({ current: record("me", 3), identity: "me", now, leaseDurationSeconds: 15 });
    expect(next).toMatchObject({ acquireTime: new Date(0), renewTime: now, leaseTransitions: 3 });
  });

  it("takes over: a new acquire time and one more transition (after a release too)", () => {
    for (const holder of ["other", null]) {
      const next = nextLeaseRecord({
        current: record(holder, 3),
        identity: "me",
        now,
        leaseDurationSeconds: 15,
      });
      expect(next).toMatchObject({ holderIdentity: "me", acquireTime: now, leaseTransitions: 4 });
    }
  });

  it("releases with no holder and a one-second duration", () => {
    expect(releasedLeaseRecord(record("me", 2), now)).toMatchObject({
      holderIdentity: null,
      leaseDurationSeconds: 1,
      renewTime: now,
      leaseTransitions: 2,
    });
  });
});

describe("LeaderElector", () => {
  it("creates a missing lease, leads, and stops when asked (still holding until release)", async () => {
    const lease = new MemoryLease();
    const stop = new AbortController();
    const time = virtualTime((now) => now >= 20_000 && stop.abort());
    const elector = new LeaderElector({ client: lease, identity: "a", log, ...timings, ...time });
    let started = 0;
    const outcome = await elector.run({ signal: stop.signal, onStartedLeading: () => (started += 1) });
    expect(outcome).toBe("stopped");
    expect(started).toBe(1);
    expect(elector.isLeader).toBe(true);
    expect(lease.stored?.record).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 15 });
    expect(lease.stored?.record.renewTime).toEqual(new Date(18_000));
    await elector.release();
    expect(elector.isLeader).toBe(false);
    expect(lease.stored?.record.holderIdentity).toBeNull();
  });

  it("waits while another holder renews and takes over one lease duration after the last renewal it saw", async () => {
    const lease = new MemoryLease();
    lease.write(record("other"));
    let lastRenewal = 0;
    const time = virtualTime((now) => {
      if (now > 30_000) return;
      lease.write({ ...record("other"), renewTime: new Date(now) });
      lastRenewal = now;
    });
    const elector = new LeaderElector({
      client: lease,
      identity: "b",
      log,
      ...timings,
      ...time,
      random: () => 0.5,
    });
    let startedAt = -1;
    const stop = new AbortController();
    const outcome = elector.run({
      signal: stop.signal,
      onStartedLeading: () => {
        startedAt = time.clock.now;
        stop.abort();
      },
    });
    expect(await outcome).toBe("stopped");
    expect(startedAt).toBeGreaterThanOrEqual(lastRenewal + timings.leaseDurationMs);
    expect(startedAt).toBeLessThanOrEqual(
      lastRenewal + timings.leaseDurationMs + 2.2 * timings.retryPeriodMs,
    );
    expect(lease.stored?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("reports who holds the lease while it waits", async () => {
    const lease = new MemoryLease();
    lease.write(record("other"));
    const stop = new AbortController();
    const time = virtualTime((now) => {
      lease.write({ ...record("other"), renewTime: new Date(now) });
      if (now > 10_000) stop.abort();
    });
    const elector = new LeaderElector({ client: lease, identity: "b", log, ...timings, ...time });
    expect(await elector.run({ signal: stop.signal, onStartedLeading: () => undefined })).toBe("stopped");
    expect(elector.isLeader).toBe(false);
    expect(elector.holder).toBe("other");
  });

  it("gives up when it cannot renew within the renew deadline, and fences itself before that returns", async () => {
    const lease = new MemoryLease();
    let failedFrom = -1;
    const time = virtualTime((now) => {
      if (now >= 8_000 && failedFrom < 0) {
        lease.failWrites = true;
        failedFrom = now;
      }
    });
    const elector = new LeaderElector({ client: lease, identity: "a", log, ...timings, ...time });
    const outcome = await elector.run({
      signal: new AbortController().signal,
      onStartedLeading: () => undefined,
    });
    expect(outcome).toBe("lost");
    expect(elector.isLeader).toBe(false);
    const lastRenew = failedFrom - timings.retryPeriodMs;
    expect(time.clock.now - lastRenew).toBeGreaterThanOrEqual(timings.renewDeadlineMs);
    expect(time.clock.now - lastRenew).toBeLessThan(timings.leaseDurationMs);
  });

  it("is not the leader any more once the renew deadline passed, even before the loop notices", async () => {
    const lease = new MemoryLease();
    const stop = new AbortController();
    const time = virtualTime(() => stop.abort());
    const elector = new LeaderElector({ client: lease, identity: "a", log, ...timings, ...time });
    await elector.run({ signal: stop.signal, onStartedLeading: () => undefined });
    expect(elector.isLeader).toBe(true);
    time.clock.now += timings.renewDeadlineMs;
    expect(elector.isLeader).toBe(false);
  });

  it("loses at once when someone else took the lease", async () => {
    const lease = new MemoryLease();
    let taken = false;
    const time = virtualTime((now) => {
      if (now >= 6_000 && !taken) {
        taken = true;
        lease.write(record("intruder", 1));
      }
    });
    const elector = new LeaderElector({ client: lease, identity: "a", log, ...timings, ...time });
    const outcome = await elector.run({
      signal: new AbortController().signal,
      onStartedLeading: () => undefined,
    });
    expect(outcome).toBe("lost");
    expect(time.clock.now).toBe(6_000);
    expect(elector.holder).toBe("intruder");
    await elector.release();
    expect(lease.stored?.record.holderIdentity).toBe("intruder");
  });

  it("hands over at once after a release", async () => {
    const lease = new MemoryLease();
    const first = new LeaderElector({ client: lease, identity: "a", log, ...timings, ...virtualTime() });
    const stopFirst = new AbortController();
    await first.run({ signal: stopFirst.signal, onStartedLeading: () => stopFirst.abort() });
    await first.release();
    const time = virtualTime();
    const second = new LeaderElector({ client: lease, identity: "b", log, ...timings, ...time });
    const stopSecond = new AbortController();
    let startedAt = -1;
    await second.run({
      signal: stopSecond.signal,
      onStartedLeading: () => {
        startedAt = time.clock.now;
        stopSecond.abort();
      },
    });
    expect(startedAt).toBe(0);
    expect(lease.stored?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("rejects timings that would let two leaders overlap", () => {
    const client = new MemoryLease();
    const make = (t: Partial<typeof timings>) => () =>
      new LeaderElector({ client, identity: "a", log, ...timings, ...t });
    expect(make({ renewDeadlineMs: 15_000 })).toThrow(/longer than the renew deadline/);
    expect(make({ retryPeriodMs: 9_000 })).toThrow(/1.2 x the retry period/);
    expect(make({ leaseDurationMs: 500, renewDeadlineMs: 400, retryPeriodMs: 100 })).toThrow(/at least 1 s/);
  });
});
