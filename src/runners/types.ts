/** The runner interface shared by the local (processes) and kubernetes (Jobs) runners. */
import type { RunObservation, RunSpec } from "../api/index.js";

/** Runs sessions and reports what it sees; every method is idempotent. */
export interface Runner {
  /** Start a run for `spec.job` unless one exists already (after a restart, say). */
  start(spec: RunSpec): Promise<void>;
  /** Cancel a run if it is still going and remove everything it left behind. */
  remove(name: string, job: string): Promise<void>;
  /** What the runner knows of every run it has, including runs from before a restart. */
  observe(): Promise<Map<string, RunObservation>>;
  /** Register a callback fired when some run's observation may have changed. */
  onChange(callback: () => void): void;
  /** The log of one step of a run (`git-clone-0`, `ansible-1`, ...), or null if the runner does not have it. */
  readLog(job: string, step: string): Promise<string | null>;
  /**
   * Whether the runner can act now (`/readyz`): the kubernetes runner once its informers have
   * listed and while their watches work; the local runner until it is closed.
   */
  isReady(): boolean;
  /**
   * How many start() calls the controller may make at once (default 1: one after another, so the
   * local runner queues sessions in the plan's order). The kubernetes runner takes several and
   * spaces its API writes itself.
   */
  readonly startConcurrency?: number;
  /** Stop watching; runs in flight keep their state for the next start. */
  close(): Promise<void>;
}
