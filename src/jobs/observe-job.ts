/**
 * What a session's Job and pod say about its run, as a RunObservation (pure: Job and pod in,
 * observation out). Per-step and per-layer results come from the containers' termination messages
 * (never from logs); the Job's conditions decide when the run is over and whether it succeeded.
 */
import type { V1Container, V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from "@kubernetes/client-node";
import {
  LABEL_SESSION,
  ansibleStepName,
  cloneStepName,
  completeRun,
  initialObservation,
  type LayerStatus,
  type RunObservation,
  type RunSpec,
  type StepStatus,
} from "../api/index.js";
import { formatTime } from "../plan/duration.js";
import { ANNOTATION_RUN_SPEC, ANNOTATION_SESSION } from "./constants.js";
import type { StepLogProgress } from "./step-log.js";
import { decodeStepMessage, type StepMessage } from "./step-message.js";

/** A Job of ours and the newest pod the Job controller made for it (null when there is none). */
export interface JobObservationInput {
  job: V1Job;
  pod: V1Pod | null;
  /**
   * `cfs` layout: what the log of its running `git-clone` or `ansible` container says of the layers
   * begun and ended (stepLogProgress), so a running session shows per-layer progress. The
   * termination messages of ended containers win over it.
   */
  progress?: StepLogProgress | null;
}

/** Container statuses of a pod by container name (init containers and containers). */
type Statuses = ReadonlyMap<string, V1ContainerStatus>;

const TEARDOWN_STEP = "teardown";
const INVENTORY_STEP = "inventory";

/** Container reasons that only say a container has not started yet, not why it cannot. */
const ORDINARY_WAITING = new Set(["PodInitializing", "ContainerCreating"]);

/** The session a Job of ours runs (its annotation; else its label), or null when it names none. */
export function sessionOfJob(job: V1Job): string | null {
  const annotated = job.metadata?.annotations?.[ANNOTATION_SESSION];
  if (annotated !== undefined && annotated !== "") return annotated;
  const labelled = job.metadata?.labels?.[LABEL_SESSION];
  return labelled === undefined || labelled === "" ? null : labelled;
}

/** The RunSpec a Job carries in its pod template, or null when it is missing or unreadable. */
export function runSpecOfJob(job: V1Job): RunSpec | null {
  const text = job.spec?.template.metadata?.annotations?.[ANNOTATION_RUN_SPEC];
  if (text === undefined) return null;
  try {
    const spec = JSON.parse(text) as RunSpec;
    return Array.isArray(spec.layers) && typeof spec.name === "string" ? spec : null;
  } catch {
    return null;
  }
}

/**
 * The observation of a Job and its pod: `pending` until a container has started, `running` after,
 * `complete` once the Job has condition Complete (succeeded true) or Failed (succeeded false, with
 * the reason in plain words). Null for a Job that names no session.
 */
export function observeJob(input: JobObservationInput): RunObservation | null {
  const { job, pod } = input;
  const name = sessionOfJob(job);
  if (name === null) return null;
  const spec = runSpecOfJob(job);
  const statuses = withParts(containerStatuses(pod), input.progress ?? null);
  let obs = spec === null ? bareObservation(name, job.metadata?.name ?? "") : initialObservation(spec);
  obs = {
    ...obs,
    steps: obs.steps.map((step) => observeStep(step, statuses.get(step.name))),
    layers: obs.layers.map((layer) => observeLayer(layer, statuses)),
  };
  obs = { ...obs, ...imageResults(statuses) };
  const started = startTime(statuses);
  if (started !== null) obs = { ...obs, phase: "running", startTime: started };
  const end = jobEnd(job, statuses);
  if (end === null) return withDebug(obs, input.progress ?? null);
  const completed = completeRun(obs, { succeeded: end.succeeded, reason: end.reason, now: end.time });
  return { ...completed, startTime: completed.startTime ?? time(job.status?.startTime) ?? end.time };
}

/** A running observation with the debug wait its ansible container's log shows (debug_on_failure). */
function withDebug(obs: RunObservation, progress: StepLogProgress | null): RunObservation {
  const debug = progress?.debug;
  return debug === undefined ? obs : { ...obs, debug };
}

/**
 * A run whose Job was deleted by someone else before it ended: complete with succeeded `unknown`,
 * as CFS records a session whose job it cannot find. A run that had ended stays as it was.
 */
export function vanishedObservation(obs: RunObservation, now: string): RunObservation {
  if (obs.phase === "complete") return obs;
  const reason = `the Job ${obs.job} was deleted before the session ended (not by cfs-gitops)`;
  return completeRun(obs, { succeeded: "unknown", reason, now });
}

function bareObservation(name: string, job: string): RunObservation {
  return {
    name,
    job,
    phase: "pending",
    succeeded: "none",
    startTime: null,
    completionTime: null,
    layers: [],
    steps: [],
    artifacts: [],
    reason: null,
  };
}

function containerStatuses(pod: V1Pod | null): Statuses {
  const all = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  return new Map(all.map((status) => [status.name, status]));
}

/**
 * The statuses with one more entry per part of a `cfs` layout container (`git-clone-0`,
 * `ansible-1`, ...), as the per-layer layout's own container would show it: from the parts of an
 * ended container's message, else from the progress its running log shows. A part takes the times
 * of its container (a running part: its container's start).
 */
function withParts(statuses: Statuses, progress: StepLogProgress | null): Statuses {
  const all = new Map(statuses);
  for (const status of statuses.values()) {
    const terminated = status.state?.terminated;
    const message = decodeStepMessage(terminated?.message);
    if (terminated === undefined || message === null) continue;
    for (const part of message.parts) all.set(part.step, partStatus(status, part, terminated));
  }
  const running = [...statuses.values()].find((status) => status.state?.running !== undefined);
  if (progress !== null && running !== undefined) addProgress(all, running, progress);
  return all;
}

/** The parts a running container's log shows ended or begun, where no ended container said more. */
function addProgress(
  all: Map<string, V1ContainerStatus>,
  running: V1ContainerStatus,
  progress: StepLogProgress,
): void {
  const state = running.state?.running ?? {};
  const started = state.startedAt === undefined ? {} : { startedAt: state.startedAt };
  for (const part of progress.ended) {
    if (!all.has(part.step)) all.set(part.step, partStatus(running, part, { exitCode: 0, ...started }));
  }
  for (const name of progress.running) {
    if (!all.has(name)) all.set(name, { ...running, name, state: { running: state } });
  }
}

function partStatus(
  container: V1ContainerStatus,
  part: StepMessage,
  terminated: NonNullable<NonNullable<V1ContainerStatus["state"]>["terminated"]>,
): V1ContainerStatus {
  const exitCode = part.exit_code ?? 0;
  return {
    ...container,
    name: part.step,
    state: { terminated: { ...terminated, exitCode, message: JSON.stringify(part) } },
  };
}

/** A step as its container shows it; its message (when it wrote one) says how it ended. */
function observeStep(step: StepStatus, status: V1ContainerStatus | undefined): StepStatus {
  const terminated = status?.state?.terminated;
  if (terminated !== undefined) {
    const message = decodeStepMessage(terminated.message);
    return {
      ...step,
      status: message?.status ?? (terminated.exitCode === 0 ? "succeeded" : "failed"),
      exit_code: message === null ? terminated.exitCode : message.exit_code,
      start_time: time(terminated.startedAt),
      completion_time: time(terminated.finishedAt),
    };
  }
  const running = status?.state?.running;
  if (running !== undefined) return { ...step, status: "running", start_time: time(running.startedAt) };
  return step;
}

/** A layer from its `git-clone-<i>` (commit, failure) and `ansible-<i>` (result, recap) containers. */
function observeLayer(layer: LayerStatus, statuses: Statuses): LayerStatus {
  const clone = terminatedMessage(statuses.get(cloneStepName(layer.index)));
  const next = clone?.commit ? { ...layer, commit: clone.commit } : layer;
  if (clone?.status === "failed") return { ...next, status: "failed" };
  return ansibleLayer(next, statuses.get(ansibleStepName(layer.index)));
}

function ansibleLayer(layer: LayerStatus, ansible: V1ContainerStatus | undefined): LayerStatus {
  const terminated = ansible?.state?.terminated;
  if (terminated === undefined) {
    return ansible?.state?.running === undefined ? layer : { ...layer, status: "running" };
  }
  const message = decodeStepMessage(terminated.message);
  if (message === null) {
    const status = terminated.exitCode === 0 ? "succeeded" : "failed";
    return { ...layer, status, exit_code: terminated.exitCode };
  }
  return {
    ...layer,
    status: message.status,
    exit_code: message.exit_code,
    recap: message.hosts ?? layer.recap,
    failed_hosts: message.failed_hosts,
    unreachable_hosts: message.unreachable_hosts,
  };
}

/**
 * What an image session's pod says of its images: the artifacts in `teardown`'s message, and the
 * IMS job ids in `teardown`'s (else `inventory`'s) message. Empty for other sessions.
 */
function imageResults(
  statuses: ReadonlyMap<string, V1ContainerStatus>,
): Pick<RunObservation, "artifacts" | "imsJob" | "imsJobs"> {
  const teardown = terminatedMessage(statuses.get(TEARDOWN_STEP));
  const inventory = terminatedMessage(statuses.get(INVENTORY_STEP));
  const artifacts = teardown?.artifacts ?? [];
  const fromTeardown = teardown?.ims_jobs ?? [];
  const jobs = fromTeardown.length > 0 ? fromTeardown : (inventory?.ims_jobs ?? []);
  const first = jobs[0];
  return first === undefined ? { artifacts } : { artifacts, imsJob: first, imsJobs: jobs };
}

function terminatedMessage(status: V1ContainerStatus | undefined): StepMessage | null {
  return decodeStepMessage(status?.state?.terminated?.message);
}

/** When the run started: its first container's start; null while no container has started. */
function startTime(statuses: Statuses): string | null {
  const starts: string[] = [];
  for (const status of statuses.values()) {
    const start = time(status.state?.running?.startedAt ?? status.state?.terminated?.startedAt);
    if (start !== null) starts.push(start);
  }
  return starts.sort()[0] ?? null;
}

/** How the Job ended, from its Complete or Failed condition; null while it runs. */
function jobEnd(
  job: V1Job,
  statuses: Statuses,
): { succeeded: "true" | "false"; reason: string | null; time: string } | null {
  const complete = trueCondition(job, "Complete");
  if (complete !== undefined) {
    return { succeeded: "true", reason: null, time: endTime(job.status?.completionTime, complete) };
  }
  const failed = trueCondition(job, "Failed");
  if (failed === undefined) return null;
  return {
    succeeded: "false",
    reason: failureReason(job, failed, statuses),
    time: endTime(undefined, failed),
  };
}

function trueCondition(job: V1Job, type: string): V1JobCondition | undefined {
  return job.status?.conditions?.find((c) => c.type === type && c.status === "True");
}

function endTime(completion: Date | undefined, condition: V1JobCondition): string {
  return time(completion) ?? time(condition.lastTransitionTime) ?? time(condition.lastProbeTime) ?? "";
}

/**
 * Why a failed Job failed, in plain words: its deadline, else the first step that says it failed,
 * else the first container that exited non-zero without saying why, else the Job's own condition.
 */
function failureReason(job: V1Job, failed: V1JobCondition, statuses: Statuses): string {
  const containers = templateContainers(job);
  if (failed.reason === "DeadlineExceeded") return deadlineReason(job, containers, statuses);
  const said = containers
    .map((c) => terminatedMessage(statuses.get(c.name)))
    .find((message) => message?.status === "failed");
  if (said) return said.reason ?? `${said.step} failed`;
  for (const container of containers) {
    const crashed = crashReason(container.name, statuses.get(container.name));
    if (crashed !== null) return crashed;
  }
  const detail = failed.message ? `: ${failed.message}` : "";
  return `the Job failed (${failed.reason ?? "no reason given"})${detail}`;
}

/** `ansible-0 ended with exit code 137 (OOMKilled)`, or null when the container did not fail. */
function crashReason(name: string, status: V1ContainerStatus | undefined): string | null {
  const terminated = status?.state?.terminated;
  if (terminated === undefined || terminated.exitCode === 0) return null;
  const why = terminated.reason === undefined ? "" : ` (${terminated.reason})`;
  return `${name} ended with exit code ${terminated.exitCode}${why}`;
}

/** `the session exceeded its deadline of 3600 s (ansible-1 was running)`. */
function deadlineReason(job: V1Job, containers: V1Container[], statuses: Statuses): string {
  const head = `the session exceeded its deadline of ${job.spec?.activeDeadlineSeconds ?? "?"} s`;
  for (const container of containers) {
    const where = stuckAt(container.name, statuses.get(container.name));
    if (where !== null) return `${head} (${where})`;
  }
  return head;
}

/** `ansible-1 was running`, `git-clone-0 could not start: ErrImagePull: ...`, or null. */
function stuckAt(name: string, status: V1ContainerStatus | undefined): string | null {
  const state = status?.state;
  if (state?.running !== undefined) return `${name} was running`;
  const waiting = state?.waiting;
  if (waiting?.reason === undefined || ORDINARY_WAITING.has(waiting.reason)) return null;
  return `${name} could not start: ${waiting.reason}${waiting.message ? `: ${waiting.message}` : ""}`;
}

/** The Job's containers in the order they run: init containers, then the last one. */
function templateContainers(job: V1Job): V1Container[] {
  const pod = job.spec?.template.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/** A Kubernetes time (a Date from a list, a string from a watch event) as a record time; null if none. */
function time(value: Date | string | undefined): string | null {
  if (value === undefined || value === null) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : formatTime(date);
}
