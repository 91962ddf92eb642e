/** What every step container has: its options, the session's RunSpec, its place in the Job. */
import type { RunSpec } from "../../../api/index.js";
import type { ImageService } from "../../../images/types.js";
import { stepMessage, type JobStep, type StepMessage } from "../../../jobs/index.js";
import type { StepConfig } from "./step-config.js";

/** Where a step's log goes: the container's stdout, which `kubectl logs` shows. */
export interface StepLog {
  write(text: string): unknown;
}

/** Everything a step container runs with. */
export interface ContainerStepOptions {
  config: Readonly<StepConfig>;
  /** The environment of the programs it runs (git, ansible-playbook), without the credential variables. */
  env: Readonly<Record<string, string>>;
  /** The step's log: the container's stdout. */
  out: StepLog;
  /** Aborted when the container is asked to stop: the running program gets SIGTERM. */
  signal?: AbortSignal;
  /** The image service of image sessions (`inventory`, `teardown`); null or absent: none configured. */
  images?: ImageService | null;
  /** The clock of a debug wait (debug_on_failure); absent: the real one. */
  clock?: StepClock;
}

/** Time and waiting, injectable so tests control a debug wait. */
export interface StepClock {
  now(): Date;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** A step about to run: its options, the session's RunSpec and its place in the Job. */
export interface ContainerStep extends ContainerStepOptions {
  spec: RunSpec;
  step: JobStep;
  /** The steps before it, in order. */
  earlier: JobStep[];
}

/** How a step ended: its message and the container's exit code. */
export interface ContainerStepEnd {
  message: StepMessage;
  exitCode: number;
}

/** Writes one line of the step's own to its log. */
export function logLine(out: StepLog, text: string): Promise<void> {
  out.write(text.endsWith("\n") ? text : `${text}\n`);
  return Promise.resolve();
}

/** A failed step's message. */
export function failedMessage(step: string, reason: string): StepMessage {
  return stepMessage({ step, status: "failed", exit_code: null, reason });
}
