/**
 * A run's observation and the only ways it moves: pure functions from one RunObservation to the
 * next, shared by every runner so `layers` and `steps` read the same whoever ran the session.
 */
import type { LayerStatus, StepState, StepStatus } from "./records.js";
import type { RunObservation, RunSpec } from "./run.js";
import { stepNames } from "./step-names.js";

/** A pending run: every step and layer pending, nothing started. */
export function initialObservation(spec: RunSpec): RunObservation {
  return {
    name: spec.name,
    job: spec.job,
    phase: "pending",
    succeeded: "none",
    startTime: null,
    completionTime: null,
    layers: spec.layers.map((layer): LayerStatus => ({
      index: layer.index,
      name: layer.displayName,
      clone_url: layer.clone_url,
      commit: layer.commit ?? null,
      branch: layer.branch ?? null,
      playbook: layer.playbook,
      status: "pending",
      exit_code: null,
      recap: {},
      failed_hosts: [],
      unreachable_hosts: [],
    })),
    steps: stepNames(spec).map((name): StepStatus => ({
      name,
      status: "pending",
      exit_code: null,
      start_time: null,
      completion_time: null,
    })),
    artifacts: [],
    reason: null,
  };
}

/** The run has started (its first step is about to). */
export function startRun(obs: RunObservation, now: string): RunObservation {
  return { ...obs, phase: "running", startTime: obs.startTime ?? now };
}

/** Step `name` has started. */
export function startStep(obs: RunObservation, name: string, now: string): RunObservation {
  return updateStep(obs, name, (step) => ({ ...step, status: "running", start_time: now }));
}

/** How a step ended. */
export interface StepEnd {
  status: Extract<StepState, "succeeded" | "failed" | "skipped" | "cancelled">;
  exitCode: number | null;
  now: string;
}

/** Step `name` has ended. */
export function endStep(obs: RunObservation, name: string, end: StepEnd): RunObservation {
  return updateStep(obs, name, (step) => ({
    ...step,
    status: end.status,
    exit_code: end.exitCode,
    completion_time: end.now,
  }));
}

/** Changes the layer with configuration index `index`. */
export function updateLayer(
  obs: RunObservation,
  index: number,
  change: (layer: LayerStatus) => LayerStatus,
): RunObservation {
  return { ...obs, layers: obs.layers.map((layer) => (layer.index === index ? change(layer) : layer)) };
}

/**
 * The run is over: `succeeded` true or false (or unknown), the reason when it is not true, steps
 * and layers still pending become `skipped`, and any still running become `cancelled`.
 */
export function completeRun(
  obs: RunObservation,
  end: { succeeded: "true" | "false" | "unknown"; reason: string | null; now: string },
): RunObservation {
  return {
    ...obs,
    phase: "complete",
    succeeded: end.succeeded,
    completionTime: end.now,
    reason: end.reason,
    steps: obs.steps.map((step) => closeStep(step, end.now)),
    layers: obs.layers.map((layer) =>
      isOpen(layer.status) ? { ...layer, status: closedState(layer.status) } : layer,
    ),
  };
}

/** A running step is cancelled at `now`; a pending one is skipped and keeps no times. */
function closeStep(step: StepStatus, now: string): StepStatus {
  if (step.status === "running") return { ...step, status: "cancelled", completion_time: now };
  if (step.status === "pending") return { ...step, status: "skipped" };
  return step;
}

function isOpen(state: StepState): boolean {
  return state === "pending" || state === "running";
}

function closedState(state: StepState): StepState {
  return state === "running" ? "cancelled" : "skipped";
}

function updateStep(
  obs: RunObservation,
  name: string,
  change: (step: StepStatus) => StepStatus,
): RunObservation {
  return { ...obs, steps: obs.steps.map((step) => (step.name === name ? change(step) : step)) };
}
