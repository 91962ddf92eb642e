/**
 * The test cluster has no kubelet, so tests play it: they write pod status through the `status`
 * subresource exactly as a kubelet would (container states with exit codes and termination
 * messages, then the pod phase), and the real Job controller reacts to it.
 */
import {
  ApiException,
  type CoreV1Api,
  type V1Container,
  type V1ContainerState,
  type V1ContainerStatus,
  type V1Pod,
} from "@kubernetes/client-node";

/** The state to give one container. `message` becomes its termination message. */
export type ContainerOutcome =
  | { name: string; state: "waiting"; reason?: string }
  | { name: string; state: "running" }
  | { name: string; state: "terminated"; exitCode: number; message?: string; reason?: string };

/** Pod phases a kubelet reports. */
export type PodPhase = "Pending" | "Running" | "Succeeded" | "Failed";

/** Options of setPodContainerStates. Containers left out are reported waiting (PodInitializing). */
export interface PodStatesInput {
  core: CoreV1Api;
  namespace: string;
  pod: string;
  phase: PodPhase;
  initContainers?: ContainerOutcome[];
  containers?: ContainerOutcome[];
  /** Time stamps to use; default now. */
  now?: Date;
}

/**
 * Writes the pod's init container and container statuses and phase through the status subresource
 * (retrying on conflicts, since the Job controller updates the pod too). Returns the stored pod.
 */
export async function setPodContainerStates(input: PodStatesInput): Promise<V1Pod> {
  for (let attempt = 0; ; attempt++) {
    const pod = await input.core.readNamespacedPod({ name: input.pod, namespace: input.namespace });
    const body = withStatus(pod, input);
    try {
      return await input.core.replaceNamespacedPodStatus({
        name: input.pod,
        namespace: input.namespace,
        body,
      });
    } catch (error) {
      if (!(error instanceof ApiException && error.code === 409) || attempt >= 10) throw error;
    }
  }
}

/** What a container's program did: its exit code and what it wrote to its termination message file. */
export interface ContainerExit {
  exitCode: number;
  message?: string;
}

/** Options of finishPodAsKubelet. */
export interface FinishPodInput {
  core: CoreV1Api;
  namespace: string;
  pod: string;
  /** Exit per container name; containers not named exit 0 with no message. */
  exits?: Record<string, ContainerExit>;
}

/**
 * Runs the pod to its end the way a kubelet does with `restartPolicy: Never`: init containers one
 * by one until one fails (then the pod fails and nothing after it starts), then the containers; the
 * pod succeeds only if every container exited 0. Returns the stored pod.
 */
export async function finishPodAsKubelet(input: FinishPodInput): Promise<V1Pod> {
  const pod = await input.core.readNamespacedPod({ name: input.pod, namespace: input.namespace });
  const exits = input.exits ?? {};
  const init = runInOrder(pod.spec?.initContainers ?? [], exits);
  const initFailed = init.some((o) => o.state === "terminated" && o.exitCode !== 0);
  const containers = initFailed
    ? []
    : (pod.spec?.containers ?? []).map((c) => terminated(c.name, exits[c.name]));
  const failed = initFailed || containers.some((o) => o.state === "terminated" && o.exitCode !== 0);
  return setPodContainerStates({
    core: input.core,
    namespace: input.namespace,
    pod: input.pod,
    phase: failed ? "Failed" : "Succeeded",
    initContainers: init,
    containers,
  });
}

function runInOrder(containers: V1Container[], exits: Record<string, ContainerExit>): ContainerOutcome[] {
  const outcomes: ContainerOutcome[] = [];
  for (const container of containers) {
    const outcome = terminated(container.name, exits[container.name]);
    outcomes.push(outcome);
    if (outcome.exitCode !== 0) break;
  }
  return outcomes;
}

function terminated(
  name: string,
  exit: ContainerExit | undefined,
): Extract<ContainerOutcome, { state: "terminated" }> {
  const exitCode = exit?.exitCode ?? 0;
  return {
    name,
    state: "terminated",
    exitCode,
    reason: exitCode === 0 ? "Completed" : "Error",
    ...(exit?.message === undefined ? {} : { message: exit.message }),
  };
}

function withStatus(pod: V1Pod, input: PodStatesInput): V1Pod {
  const now = input.now ?? new Date();
  const spec = pod.spec;
  const initStatuses = (spec?.initContainers ?? []).map((c) => containerStatus(c, input.initContainers, now));
  const statuses = (spec?.containers ?? []).map((c) => containerStatus(c, input.containers, now));
  return {
    ...pod,
    status: {
      ...pod.status,
      phase: input.phase,
      startTime: pod.status?.startTime ?? now,
      initContainerStatuses: initStatuses,
      containerStatuses: statuses,
    },
  };
}

function containerStatus(
  container: V1Container,
  outcomes: ContainerOutcome[] | undefined,
  now: Date,
): V1ContainerStatus {
  const outcome = outcomes?.find((o) => o.name === container.name) ?? {
    name: container.name,
    state: "waiting" as const,
    reason: "PodInitializing",
  };
  const done = outcome.state === "terminated";
  return {
    name: container.name,
    image: container.image ?? "",
    imageID: "",
    ready: false,
    restartCount: 0,
    started: outcome.state === "running",
    state: containerState(outcome, now),
    ...(done || outcome.state === "running" ? { containerID: `containerd://${container.name}` } : {}),
  };
}

function containerState(outcome: ContainerOutcome, now: Date): V1ContainerState {
  switch (outcome.state) {
    case "waiting":
      return { waiting: { reason: outcome.reason ?? "PodInitializing" } };
    case "running":
      return { running: { startedAt: now } };
    case "terminated":
      return {
        terminated: {
          exitCode: outcome.exitCode,
          reason: outcome.reason ?? (outcome.exitCode === 0 ? "Completed" : "Error"),
          startedAt: now,
          finishedAt: now,
          ...(outcome.message === undefined ? {} : { message: outcome.message }),
        },
      };
  }
}
