/**
 * What runs around the controller in a deployment: metrics, readiness, the HTTP server (health,
 * readiness, metrics, push webhook) and leader election. The composition of the server room, kept
 * out of commands/controller.ts so the command only wires.
 */
import { CoordinationV1Api, KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { LoopFailure, LoopHealth, PassReport } from "../controller/index.js";
import type { RecordedState } from "../plan/index.js";
import { runGit } from "../git/run-git.js";
import type { ConfigSource, StatusStore } from "../git/types.js";
import type { Runner } from "../runners/types.js";
import {
  ControllerMetrics,
  ControllerSupervisor,
  FetchHealth,
  LeaderElector,
  createKubeLeaseClient,
  instrumentRunner,
  instrumentSource,
  instrumentStatus,
  readinessChecks,
  runnerReadiness,
  startHttpServer,
  type ApiListenerState,
  type CommitVerificationState,
  type ControllerLoop,
  type HttpServer,
  type MetricsOptions,
  type SupervisionOutcome,
} from "../server/index.js";
import type { ControllerConfig } from "./config.js";

/** Lease timings (client-go's defaults unless a test shortens them). */
export interface LeaseTimings {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

/** Inputs of ControllerServices. */
export interface ServicesInput {
  config: Pick<ControllerConfig, "listen" | "webhookSecret" | "namespace" | "leaderElection" | "branch">;
  log: Logger;
  /** The repository the source reads (for commit times). */
  gitDir: string;
  /** The cluster of the Lease; default: KUBECONFIG, ~/.kube/config or the pod's service account. */
  kubeConfig?: KubeConfig;
  leaseTimings?: LeaseTimings;
  metrics?: MetricsOptions;
}

/** The parts the controller is built from. */
export interface ControllerParts {
  source: ConfigSource;
  status: StatusStore;
  runner: Runner;
}

/** Metrics, readiness, HTTP server and leader election for one controller. */
export class ControllerServices {
  /** The metrics `/metrics` serves; `metrics.jobCreated` is the runner's hook. */
  readonly metrics: ControllerMetrics;
  /** The last fetch of the watched branch. */
  readonly health = new FetchHealth();
  /** The elector, or null when leader election is off. */
  readonly elector: LeaderElector | null;
  /** The `/readyz` detail of `--verify-commits`, when it is on. */
  commitVerification: (() => CommitVerificationState) | null = null;
  /** The `/readyz` detail of the REST API, when `--api-listen` serves it. */
  apiListener: (() => ApiListenerState) | null = null;
  /** Checks a pull request the webhook announced (with `--forge`); null: pull request events are ignored. */
  checkPullRequest: ((pr: number) => void) | null = null;
  private http: HttpServer | null = null;

  constructor(private readonly input: ServicesInput) {
    this.metrics = new ControllerMetrics(input.metrics);
    this.elector = createElector(input);
  }

  /** The HTTP server while `run` serves (null before, after, or without `--listen`). */
  get httpServer(): HttpServer | null {
    return this.http;
  }

  /** Wraps the controller's parts so fetches, status pushes and run starts feed metrics and readiness. */
  instrument(parts: ControllerParts): ControllerParts {
    const { metrics, health, elector } = this;
    const gitDir = this.input.gitDir;
    return {
      source: instrumentSource(parts.source, { metrics, health }),
      status: instrumentStatus(parts.status, {
        metrics,
        mayWrite: () => elector === null || elector.isLeader,
      }),
      runner: instrumentRunner(parts.runner, { metrics, commitTime: (commit) => commitTime(gitDir, commit) }),
    };
  }

  /** The controller's `onPass`: pass duration, the sessions gauge and the loop's state. */
  recordPass(report: PassReport, records: RecordedState, health?: LoopHealth): void {
    this.metrics.observePass(report);
    this.metrics.setSessions(records.sessions.values());
    if (health) this.metrics.setLoopState(health.state);
  }

  /** The controller's `onFailure`: failures by scope and class, and the loop's state. */
  recordFailure(failure: LoopFailure, health?: LoopHealth): void {
    this.metrics.observeFailure(failure);
    if (health) this.metrics.setLoopState(health.state);
  }

  /**
   * Serves HTTP (with `--listen`) and runs the controller loop, only while leading when leader
   * election is on, until `signal` aborts ("stopped") or the lease is lost ("lost").
   */
  async run(input: {
    controller: ControllerLoop;
    runner: Runner;
    signal: AbortSignal;
    /** The loop's health for `/readyz` (the Controller's `health`). */
    loopHealth?: () => LoopHealth;
  }): Promise<SupervisionOutcome> {
    const { config, log } = this.input;
    const supervisor = new ControllerSupervisor({
      controller: input.controller,
      elector: this.elector,
      metrics: this.metrics,
      log,
    });
    const runnerReady = runnerReadiness(input.runner);
    if (config.listen) {
      this.http = await startHttpServer({
        listen: config.listen,
        log,
        metrics: this.metrics,
        readiness: () =>
          readinessChecks({
            gitFetch: this.health.state,
            runner: runnerReady(),
            leader: supervisor.leaderState(),
            loop: supervisor.active && input.loopHealth ? input.loopHealth() : null,
            commits: this.commitVerification?.() ?? null,
            api: this.apiListener?.() ?? null,
          }),
        webhook: config.webhookSecret
          ? {
              secret: config.webhookSecret,
              branch: config.branch,
              trigger: (reason) => supervisor.trigger(reason),
              ...(this.checkPullRequest ? { checkPullRequest: this.checkPullRequest } : {}),
            }
          : null,
      });
    }
    try {
      return await supervisor.run(input.signal);
    } finally {
      await this.http?.close();
      this.http = null;
    }
  }
}

function createElector(input: ServicesInput): LeaderElector | null {
  const election = input.config.leaderElection;
  if (election === null) return null;
  const kubeConfig = input.kubeConfig ?? defaultKubeConfig();
  const timings = input.leaseTimings ?? {
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  };
  const client = createKubeLeaseClient({
    api: kubeConfig.makeApiClient(CoordinationV1Api),
    name: election.leaseName,
    namespace: input.config.namespace,
    timeoutMs: Math.max(1_000, Math.floor(timings.renewDeadlineMs / 2)),
  });
  return new LeaderElector({ client, identity: election.identity, log: input.log, ...timings });
}

function defaultKubeConfig(): KubeConfig {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromDefault();
  return kubeConfig;
}

/** The committer time of a commit of the repository, or null (unknown commit, not a commit id). */
async function commitTime(gitDir: string, commit: string): Promise<Date | null> {
  if (!/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(commit)) return null;
  const output = await runGit({ gitDir, args: ["show", "-s", "--format=%ct", commit], timeoutMs: 10_000 });
  const seconds = Number(output.stdout.toString("utf8").trim());
  return Number.isFinite(seconds) && seconds > 0 ? new Date(seconds * 1000) : null;
}
