/**
 * Leader election over a `coordination.k8s.io/v1` Lease, with client-go's semantics: a candidate
 * takes the lease when it is free, or when nobody renewed it for `leaseDuration` as measured on the
 * candidate's own clock since it last saw the lease change (no cross-node clock comparison); the
 * leader renews every `retryPeriod` and gives up when it could not renew for `renewDeadline`
 * (shorter than `leaseDuration`, so it stops before anyone else may start). Clock and sleep are
 * injected so tests control time.
 */
import type { Logger } from "pino";

/** The Lease fields the election reads and writes (times as Dates; null when absent). */
export interface LeaseRecord {
  holderIdentity: string | null;
  leaseDurationSeconds: number;
  acquireTime: Date | null;
  renewTime: Date | null;
  leaseTransitions: number;
}

/** A Lease as stored, with the resourceVersion that guards updates. */
export interface StoredLease {
  record: LeaseRecord;
  resourceVersion: string;
}

/** The Lease API the elector needs; create and update answer null when someone else won (409). */
export interface LeaseClient {
  /** `namespace/name`, for logs and readiness. */
  readonly description: string;
  get(): Promise<StoredLease | null>;
  create(record: LeaseRecord): Promise<StoredLease | null>;
  update(record: LeaseRecord, resourceVersion: string): Promise<StoredLease | null>;
}

/** Wait `ms`; rejects or resolves early when `signal` aborts. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** What a candidate may do with the lease it just read. */
export type LeaseDecision = "renew" | "takeover" | "held";

/**
 * Decides on a lease: ours -> renew; free (no holder) or unrenewed for its duration since we first
 * saw this version (`observedAt`, our clock) -> takeover; else held by someone else.
 */
export function decideLease(input: {
  record: LeaseRecord;
  identity: string;
  observedAt: number;
  now: number;
}): LeaseDecision {
  const { record, identity, observedAt, now } = input;
  if (record.holderIdentity === identity) return "renew";
  if (record.holderIdentity === null || record.holderIdentity === "") return "takeover";
  return observedAt + record.leaseDurationSeconds * 1000 <= now ? "takeover" : "held";
}

/** The record a candidate writes to renew or take the lease (transitions count holder changes). */
export function nextLeaseRecord(input: {
  current: LeaseRecord | null;
  identity: string;
  now: Date;
  leaseDurationSeconds: number;
}): LeaseRecord {
  const { current, identity, now } = input;
  const same = current !== null && current.holderIdentity === identity;
  const transitions = current === null ? 0 : current.leaseTransitions + (same ? 0 : 1);
  return {
    holderIdentity: identity,
    leaseDurationSeconds: input.leaseDurationSeconds,
    acquireTime: same ? (current.acquireTime ?? now) : now,
    renewTime: now,
    leaseTransitions: transitions,
  };
}

/** The record a leader writes when it steps down: no holder, so a candidate takes it at once. */
export function releasedLeaseRecord(current: LeaseRecord, now: Date): LeaseRecord {
  return { ...current, holderIdentity: null, leaseDurationSeconds: 1, renewTime: now };
}

/** Timings and collaborators of a LeaderElector. */
export interface LeaderElectorOptions {
  client: LeaseClient;
  /** Unique per process (pod name plus a random suffix). */
  identity: string;
  log: Logger;
  /** Lease validity without renewal; whole seconds, default 15 s. */
  leaseDurationMs?: number;
  /** How long the leader keeps trying to renew before it gives up; default 10 s. */
  renewDeadlineMs?: number;
  /** Time between attempts; candidates add up to 120 % jitter; default 2 s. */
  retryPeriodMs?: number;
  /** Milliseconds on a monotonic-enough clock; default Date.now. */
  now?: () => number;
  sleep?: Sleep;
  /** Jitter source in [0, 1); default Math.random. */
  random?: () => number;
}

/** How a run of the elector ended: stopped by its signal (lease still held), or leadership lost. */
export type ElectionOutcome = "stopped" | "lost";

/** What one acquire-or-renew attempt found. */
type Attempt = "acquired" | "held" | "failed";

const JITTER_FACTOR = 1.2;

/** A timer that an abort ends early (resolving), leaving no listener behind. */
const defaultSleep: Sleep = (ms, signal) =>
  new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

/** One candidate for a lease. */
export class LeaderElector {
  private readonly client: LeaseClient;
  private readonly log: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly now: () => number;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private observed: { resourceVersion: string; at: number } | null = null;
  private holding = false;
  private lastRenew = 0;
  private lastHolder: string | null = null;

  constructor(private readonly options: LeaderElectorOptions) {
    this.client = options.client;
    this.log = options.log.child({ component: "leader-election", lease: options.client.description });
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    checkTimings(this.timings);
  }

  /** This process's identity in the lease. */
  get identity(): string {
    return this.options.identity;
  }

  /** Where the lease is (`namespace/name`). */
  get lease(): string {
    return this.client.description;
  }

  /** True while the lease is ours and was renewed within the renew deadline. */
  get isLeader(): boolean {
    return this.holding && this.now() - this.lastRenew < this.renewDeadlineMs;
  }

  /** The holder last seen in the lease (ours when leading), or null. */
  get holder(): string | null {
    return this.holding ? this.identity : this.lastHolder;
  }

  /** The timings in force (for logs and tests). */
  get timings(): { leaseDurationMs: number; renewDeadlineMs: number; retryPeriodMs: number } {
    return {
      leaseDurationMs: this.leaseDurationMs,
      renewDeadlineMs: this.renewDeadlineMs,
      retryPeriodMs: this.retryPeriodMs,
    };
  }

  /**
   * Campaigns until the lease is ours, calls `onStartedLeading`, then renews until `signal` aborts
   * ("stopped": the lease is still held; call release()) or renewal fails ("lost").
   */
  async run(input: { signal: AbortSignal; onStartedLeading: () => void }): Promise<ElectionOutcome> {
    if (!(await this.acquire(input.signal))) return "stopped";
    this.log.info({ identity: this.identity }, "became the leader");
    input.onStartedLeading();
    const outcome = await this.renew(input.signal);
    if (outcome === "lost") {
      this.holding = false;
      this.log.warn({ identity: this.identity, holder: this.lastHolder }, "lost the lease");
    }
    return outcome;
  }

  /** Gives the lease up (after the work it guards has stopped) so another candidate takes it at once. */
  async release(): Promise<void> {
    if (!this.holding) return;
    this.holding = false;
    try {
      const current = await this.client.get();
      if (current?.record.holderIdentity !== this.identity) return;
      await this.client.update(
        releasedLeaseRecord(current.record, new Date(this.now())),
        current.resourceVersion,
      );
      this.log.info({ identity: this.identity }, "released the lease");
    } catch (error) {
      this.log.warn({ err: error }, "could not release the lease; it expires by itself");
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if ((await this.attempt()) === "acquired") return true;
      await this.pause(this.retryPeriodMs * (1 + this.random() * JITTER_FACTOR), signal);
    }
    return false;
  }

  private async renew(signal: AbortSignal): Promise<ElectionOutcome> {
    for (;;) {
      await this.pause(this.retryPeriodMs, signal);
      if (signal.aborted) return "stopped";
      const attempt = await this.attempt();
      if (attempt === "held") return "lost";
      if (attempt === "failed" && this.now() - this.lastRenew >= this.renewDeadlineMs) return "lost";
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<void> {
    await this.sleep(ms, signal).catch(() => undefined);
  }

  /** Reads the lease and takes or renews it when it may; never throws. */
  private async attempt(): Promise<Attempt> {
    try {
      const current = await this.client.get();
      const now = this.now();
      const written = current === null ? await this.create(now) : await this.update(current, now);
      if (written === "held") return "held";
      if (written === null) return "failed";
      this.noteWritten(written, now);
      return "acquired";
    } catch (error) {
      this.log.warn({ err: error }, "lease request failed");
      return "failed";
    }
  }

  private create(now: number): Promise<StoredLease | null> {
    return this.client.create(this.record(null, now));
  }

  private async update(current: StoredLease, now: number): Promise<StoredLease | null | "held"> {
    this.noteObserved(current, now);
    const decision = decideLease({
      record: current.record,
      identity: this.identity,
      observedAt: this.observed?.at ?? now,
      now,
    });
    if (decision === "held") return "held";
    return this.client.update(this.record(current.record, now), current.resourceVersion);
  }

  private record(current: LeaseRecord | null, now: number): LeaseRecord {
    return nextLeaseRecord({
      current,
      identity: this.identity,
      now: new Date(now),
      leaseDurationSeconds: Math.ceil(this.leaseDurationMs / 1000),
    });
  }

  /** Remembers when this version of the lease was first seen, on our clock. */
  private noteObserved(current: StoredLease, now: number): void {
    this.lastHolder = current.record.holderIdentity;
    if (this.observed?.resourceVersion !== current.resourceVersion) {
      this.observed = { resourceVersion: current.resourceVersion, at: now };
    }
  }

  private noteWritten(written: StoredLease, now: number): void {
    this.observed = { resourceVersion: written.resourceVersion, at: now };
    this.lastHolder = this.identity;
    this.holding = true;
    this.lastRenew = now;
  }
}

function checkTimings(timings: {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}): void {
  const { leaseDurationMs, renewDeadlineMs, retryPeriodMs } = timings;
  if (leaseDurationMs < 1000) throw new Error("leader election: the lease duration must be at least 1 s");
  if (leaseDurationMs <= renewDeadlineMs) {
    throw new Error("leader election: the lease duration must be longer than the renew deadline");
  }
  if (renewDeadlineMs <= retryPeriodMs * JITTER_FACTOR) {
    throw new Error("leader election: the renew deadline must be longer than 1.2 x the retry period");
  }
}
