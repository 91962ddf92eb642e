import type {
  V1ContainerState,
  V1ContainerStatus,
  V1Job,
  V1JobCondition,
  V1ManagedFieldsEntry,
  V1Pod,
} from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  buildImsCleanupJob,
  buildJob,
  encodeStepMessage,
  imsCleanupOf,
  observeJob,
  sessionOfJob,
  slimJob,
  slimPod,
  stepLogSource,
  stepMessage,
  terminationMessageBudget,
  type JobImageService,
  type JobLayout,
} from "../../../src/jobs/index.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const T0 = new Date("2024-05-01T10:00:00Z");
const T1 = new Date("2024-05-01T10:00:05Z");
const SERVICE: JobImageService = {
  imsUrl: "http://cray-ims.services.svc.cluster.local",
  sshKeySecret: "cfs-ims-ssh",
  imsTokenSecret: "cfs-ims-token",
};
const MANAGED: V1ManagedFieldsEntry[] = [
  {
    manager: "cfs-gitops",
    operation: "Update",
    apiVersion: "batch/v1",
    fieldsType: "FieldsV1",
    fieldsV1: {},
  },
];
const STEPS = ["git-clone-0", "git-clone-1", "inventory", "ansible-0", "ansible-1", "teardown", "git-clone"];

/** How the pod's containers stand: by position in the pod, one state each. */
type PodShape = "none" | "first-running" | "all-done" | "one-failed" | "stuck";

const CASES: Array<{
  what: string;
  fixture: RunSpecFixture;
  layout: JobLayout;
  pod: PodShape;
  end?: string;
}> = [
  { what: "a new Job, no pod", fixture: { layers: 2 }, layout: "per-layer", pod: "none" },
  { what: "its first step running", fixture: { layers: 2 }, layout: "per-layer", pod: "first-running" },
  { what: "every step done", fixture: { layers: 2 }, layout: "per-layer", pod: "all-done", end: "Complete" },
  { what: "a failed step", fixture: { layers: 2 }, layout: "per-layer", pod: "one-failed", end: "Failed" },
  { what: "past its deadline", fixture: { layers: 2 }, layout: "per-layer", pod: "stuck", end: "Deadline" },
  { what: "cfs layout, running", fixture: { layers: 2 }, layout: "cfs", pod: "first-running" },
  { what: "cfs layout, failed", fixture: { layers: 2 }, layout: "cfs", pod: "one-failed", end: "Failed" },
  {
    what: "image session, inventory done",
    fixture: { definition: "image" },
    layout: "per-layer",
    pod: "all-done",
  },
  { what: "image session, cfs layout", fixture: { definition: "image" }, layout: "cfs", pod: "one-failed" },
];

function fullJob(fixture: RunSpecFixture, layout: JobLayout, end: string | undefined): V1Job {
  const built = buildJob({
    spec: runSpec(fixture),
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 600, imageService: SERVICE, layout },
  });
  const conditions = end === undefined ? [] : [condition(end)];
  return {
    ...built,
    metadata: {
      ...built.metadata,
      uid: "u1",
      resourceVersion: "7",
      creationTimestamp: T0,
      managedFields: MANAGED,
    },
    status: { startTime: T0, conditions },
  };
}

function condition(end: string): V1JobCondition {
  if (end === "Complete") return { type: "Complete", status: "True", lastTransitionTime: T1 };
  const reason = end === "Deadline" ? "DeadlineExceeded" : "BackoffLimitExceeded";
  return { type: "Failed", status: "True", reason, lastTransitionTime: T1 };
}

function containerStatus(name: string, state: V1ContainerState): V1ContainerStatus {
  return { name, image: "", imageID: "", ready: false, restartCount: 0, state };
}

function terminated(name: string, exitCode: number): V1ContainerState {
  const message = encodeStepMessage(
    stepMessage({
      step: name,
      status: exitCode === 0 ? "succeeded" : "failed",
      exit_code: exitCode,
      ims_jobs: ["j-1"],
    }),
    terminationMessageBudget(8),
  );
  return { terminated: { exitCode, startedAt: T0, finishedAt: T1, reason: "Completed", message } };
}

function stateAt(shape: PodShape, name: string, index: number): V1ContainerState {
  if (shape === "all-done" || (shape === "one-failed" && index === 0)) return terminated(name, 0);
  if (shape === "one-failed" && index === 1) return terminated(name, 2);
  if (shape === "first-running" && index === 0) return { running: { startedAt: T1 } };
  if (shape === "stuck" && index === 0)
    return { waiting: { reason: "ErrImagePull", message: "no such image" } };
  return { waiting: { reason: "PodInitializing" } };
}

function podOf(job: V1Job, shape: PodShape): V1Pod | null {
  if (shape === "none") return null;
  const spec = job.spec?.template.spec;
  const inits = (spec?.initContainers ?? []).map((c, i) =>
    containerStatus(c.name, stateAt(shape, c.name, i)),
  );
  const offset = inits.length;
  const mains = (spec?.containers ?? []).map((c, i) =>
    containerStatus(c.name, stateAt(shape, c.name, offset + i)),
  );
  return {
    metadata: {
      name: `${job.metadata?.name ?? ""}-abcde`,
      uid: "p1",
      resourceVersion: "9",
      creationTimestamp: T0,
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "Job", name: job.metadata?.name ?? "", uid: "u1", controller: true },
      ],
      managedFields: MANAGED,
    },
    spec: spec ?? { containers: [] },
    status: { phase: "Running", startTime: T0, initContainerStatuses: inits, containerStatuses: mains },
  };
}

describe("slimJob and slimPod", () => {
  it.each(CASES)("keep what the runner reads: $what", ({ fixture, layout, pod: shape, end }) => {
    const job = fullJob(fixture, layout, end);
    const pod = podOf(job, shape);
    const slim = slimJob(job);
    const thinPod = pod === null ? null : slimPod(pod);
    expect(observeJob({ job: slim, pod: thinPod })).toEqual(observeJob({ job, pod }));
    expect(sessionOfJob(slim)).toBe(sessionOfJob(job));
    for (const step of STEPS) expect(stepLogSource(slim, step)).toEqual(stepLogSource(job, step));
    const cleanup = imsCleanupOf({ job, pod });
    const slimCleanup = imsCleanupOf({ job: slim, pod: thinPod });
    expect(slimCleanup?.knownJobs).toEqual(cleanup?.knownJobs);
    if (cleanup !== null && slimCleanup !== null) {
      const site = { service: SERVICE };
      const input = { namespace: "ns", image: "step:1", site };
      expect(buildImsCleanupJob({ ...input, target: slimCleanup })).toEqual(
        buildImsCleanupJob({ ...input, target: cleanup }),
      );
    }
    expect(thinPod?.metadata?.ownerReferences).toEqual(pod?.metadata?.ownerReferences);
  });

  it("keep what an IMS cleanup needs", () => {
    const job = fullJob({ definition: "image" }, "per-layer", "Failed");
    const pod = podOf(job, "one-failed");
    const slim = imsCleanupOf({ job: slimJob(job), pod: pod === null ? null : slimPod(pod) });
    expect(slim?.knownJobs).toEqual(["j-1"]);
  });

  it("drop managedFields, the containers' settings and the pod spec", () => {
    const job = fullJob({ layers: 2 }, "per-layer", undefined);
    const slim = slimJob(job);
    expect(slim.metadata?.managedFields).toBeUndefined();
    expect(slim.metadata?.uid).toBe("u1");
    const containers = [
      ...(slim.spec?.template.spec?.initContainers ?? []),
      ...(slim.spec?.template.spec?.containers ?? []),
    ];
    expect(containers.length).toBeGreaterThan(1);
    for (const container of containers) expect(Object.keys(container)).toEqual(["name"]);
    expect(slim.spec?.template.spec?.volumes).toBeUndefined();
    expect(JSON.stringify(slim).length).toBeLessThan(JSON.stringify(job).length / 2);
    const pod = slimPod(podOf(job, "first-running") as V1Pod);
    expect(pod.spec).toBeUndefined();
    expect(pod.metadata?.managedFields).toBeUndefined();
    expect(job.metadata?.managedFields).toEqual(MANAGED);
  });

  it("leave an object without a spec or metadata as it is", () => {
    expect(slimJob({ metadata: { name: "x", resourceVersion: "3" } })).toEqual({
      metadata: { name: "x", resourceVersion: "3" },
    });
    expect(slimPod({})).toEqual({});
  });
});
