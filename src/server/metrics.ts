/**
 * The controller's Prometheus metrics, in a registry of their own (never prom-client's global one,
 * so tests and embedders can hold several). Names start with `cfs_gitops_`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { SESSION_STATUSES, SUCCEEDED_VALUES, type KeptSession } from "../api/index.js";
import { FAILURE_CLASSES } from "../api/errors.js";
import type { LoopFailure, LoopHealth, PassReport } from "../controller/controller.js";
import type { WebhookResult } from "./decide-webhook.js";

/** Buckets for git round trips and passes: 5 ms .. 2 min. */
const SHORT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Buckets for commit-to-start latency: 1 s .. 1 day. */
const LATENCY_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600];

/** Options of ControllerMetrics. */
export interface MetricsOptions {
  /** Also collect prom-client's process metrics (CPU, memory, event loop lag); default true. */
  processMetrics?: boolean;
}

/** Every metric the controller exposes on `/metrics`, and the calls that feed them. */
export class ControllerMetrics {
  /** The registry `/metrics` renders. */
  readonly registry = new Registry();
  private readonly passDuration = this.histogram("pass_duration_seconds", "Duration of one reconcile pass.");
  private readonly sessions = new Gauge({
    name: "cfs_gitops_sessions",
    help: "Sessions on the status branch, by status and succeeded.",
    labelNames: ["status", "succeeded"] as const,
    registers: [this.registry],
  });
  private readonly fetchDuration = this.histogram(
    "git_fetch_duration_seconds",
    "Duration of a fetch of the watched branch (successful or not).",
  );
  private readonly fetchFailures = this.counter(
    "git_fetch_failures_total",
    "Fetches of the watched branch that failed.",
  );
  private readonly pushDuration = this.histogram(
    "git_push_duration_seconds",
    "Duration of a status commit and its push, retries included (successful or not).",
  );
  private readonly pushFailures = this.counter(
    "git_push_failures_total",
    "Status commits or pushes that failed.",
  );
  private readonly jobs = this.counter("jobs_created_total", "Jobs (runs) the runner created.");
  private readonly commitToStart = new Histogram({
    name: "cfs_gitops_commit_to_start_seconds",
    help: "Time from the committer time of the commit that introduced a session to its run being started.",
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  private readonly leader = new Gauge({
    name: "cfs_gitops_leader",
    help: "1 while this replica runs the controller loop (holds the lease, or leader election is off).",
    registers: [this.registry],
  });
  private readonly failures = new Counter({
    name: "cfs_gitops_failures_total",
    help: "Failures of the controller loop, by where (pass, start, remove) and class (transient, stalling, session).",
    labelNames: ["scope", "class"] as const,
    registers: [this.registry],
  });
  private readonly loopState = new Gauge({
    name: "cfs_gitops_loop_state",
    help: "1 for the controller loop's current state (ok, retrying: transient failures backed off, stalled: a failure that needs a person), 0 for the others.",
    labelNames: ["state"] as const,
    registers: [this.registry],
  });
  private readonly webhooks = new Counter({
    name: "cfs_gitops_webhook_requests_total",
    help: "Requests to POST /hooks/git, by result.",
    labelNames: ["result"] as const,
    registers: [this.registry],
  });

  private readonly unverified = new Gauge({
    name: "cfs_gitops_unverified_commits",
    help: "Commits of the watched branch neither verified nor approved, holding it back (--verify-commits).",
    registers: [this.registry],
  });
  private readonly verified = this.counter(
    "commits_checked_total",
    "Commits whose signature was checked (--verify-commits).",
  );

  constructor(options: MetricsOptions = {}) {
    if (options.processMetrics ?? true)
      collectDefaultMetrics({ register: this.registry, prefix: "cfs_gitops_" });
    this.setSessions([]);
    this.leader.set(0);
    this.setLoopState("ok");
    for (const scope of ["pass", "start", "remove"] as const)
      for (const failure of FAILURE_CLASSES) this.failures.inc({ scope, class: failure }, 0);
  }

  /** Counts a failure of the loop by scope and class. */
  observeFailure(failure: Pick<LoopFailure, "scope" | "failure">): void {
    this.failures.inc({ scope: failure.scope, class: failure.failure });
  }

  /** Sets the loop-state gauge: 1 for `state`, 0 for the others. */
  setLoopState(state: LoopHealth["state"]): void {
    for (const each of ["ok", "retrying", "stalled"] as const)
      this.loopState.set({ state: each }, each === state ? 1 : 0);
  }

  /** Records a finished pass (the controller's `onPass`). */
  observePass(report: Pick<PassReport, "durationMs">): void {
    this.passDuration.observe(report.durationMs / 1000);
  }

  /** Sets the sessions gauge from the records as last written; every combination is present, 0 when empty. */
  setSessions(records: Iterable<KeptSession>): void {
    const counts = new Map<string, number>();
    for (const record of records) {
      const key = `${record.status.session.status}/${record.status.session.succeeded}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    for (const status of SESSION_STATUSES) {
      for (const succeeded of SUCCEEDED_VALUES) {
        const count = counts.get(`${status}/${succeeded}`) ?? 0;
        if (count > 0 || (status === "complete") === (succeeded !== "none"))
          this.sessions.set({ status, succeeded }, count);
      }
    }
  }

  /** Records one fetch of the watched branch. */
  observeFetch(input: { seconds: number; ok: boolean }): void {
    this.fetchDuration.observe(input.seconds);
    if (!input.ok) this.fetchFailures.inc();
  }

  /** Records one status commit (with its push when the repository is remote). */
  observePush(input: { seconds: number; ok: boolean }): void {
    this.pushDuration.observe(input.seconds);
    if (!input.ok) this.pushFailures.inc();
  }

  /** Counts a Job the runner created (not one that already existed); pass it to the runner as a hook. */
  readonly jobCreated = (): void => {
    this.jobs.inc();
  };

  /** Records the time from a manifest's commit to its run being started. */
  observeCommitToStart(seconds: number): void {
    this.commitToStart.observe(Math.max(0, seconds));
  }

  /** Records one verification of new commits of the watched branch. */
  observeVerification(input: { checked: number; unverified: number }): void {
    this.verified.inc(input.checked);
    this.unverified.set(input.unverified);
  }

  /** Whether this replica runs the loop now. */
  setLeader(leading: boolean): void {
    this.leader.set(leading ? 1 : 0);
  }

  /** Counts a webhook request by how it ended. */
  observeWebhook(result: WebhookResult | "not_leader" | "too_large"): void {
    this.webhooks.inc({ result });
  }

  /** The text exposition format and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private histogram(name: string, help: string): Histogram {
    return new Histogram({
      name: `cfs_gitops_${name}`,
      help,
      buckets: SHORT_BUCKETS,
      registers: [this.registry],
    });
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name: `cfs_gitops_${name}`, help, registers: [this.registry] });
  }
}
