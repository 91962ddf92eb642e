/**
 * Runs the controller loop only while this replica may: at once when leader election is off, else
 * from the moment the lease is won until it is lost or the process stops. On a stop the loop ends
 * first (its last status commit still fenced in), then the lease is released.
 */
import type { Logger } from "pino";
import type { LeaderElector } from "./leader-election.js";
import type { ControllerMetrics } from "./metrics.js";
import type { LeaderState } from "./readiness.js";

/** What the supervisor needs of the controller (`Controller` has it). */
export interface ControllerLoop {
  start(): Promise<void>;
  stop(): Promise<void>;
  trigger(reason: string): void;
}

/** Options of ControllerSupervisor. */
export interface SupervisorOptions {
  controller: ControllerLoop;
  /** Null when leader election is off. */
  elector: LeaderElector | null;
  metrics: ControllerMetrics;
  log: Logger;
}

/** How supervision ended: a stop was asked for, or the lease was lost (the process should exit). */
export type SupervisionOutcome = "stopped" | "lost";

/** Starts and stops the controller loop with leadership. */
export class ControllerSupervisor {
  private running = false;
  private starting: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SupervisorOptions) {
    this.log = options.log.child({ component: "supervisor" });
  }

  /** True while the loop runs on this replica. */
  get active(): boolean {
    return this.running;
  }

  /** Asks for a pass when the loop runs here; false when it does not (not the leader). */
  trigger(reason: string): boolean {
    if (!this.running) return false;
    this.options.controller.trigger(reason);
    return true;
  }

  /** True when this replica may write the status branch (the status store's fence). */
  mayWrite(): boolean {
    return this.options.elector === null || this.options.elector.isLeader;
  }

  /** Leader election as readiness reports it. */
  leaderState(): LeaderState {
    const elector = this.options.elector;
    if (elector === null) return { elect: false };
    return { elect: true, leading: elector.isLeader, lease: elector.lease, holder: elector.holder };
  }

  /** Supervises until `signal` aborts ("stopped") or the lease is lost ("lost"); the loop is stopped either way. */
  async run(signal: AbortSignal): Promise<SupervisionOutcome> {
    const elector = this.options.elector;
    if (elector === null) {
      await this.startLoop();
      await abortion(signal);
      await this.stopLoop();
      return "stopped";
    }
    const outcome = await elector.run({ signal, onStartedLeading: () => void this.startLoop() });
    await this.stopLoop();
    if (outcome === "stopped") await elector.release();
    return outcome;
  }

  private startLoop(): Promise<void> {
    this.running = true;
    this.options.metrics.setLeader(true);
    this.log.info("starting the controller loop");
    this.starting = this.options.controller.start().catch((error: unknown) => {
      this.log.error({ err: error }, "the controller loop failed to start");
    });
    return this.starting;
  }

  private async stopLoop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.options.metrics.setLeader(false);
    this.log.info("stopping the controller loop");
    await this.starting;
    await this.options.controller.stop();
  }
}

function abortion(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));
}
