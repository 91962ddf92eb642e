import type { V1ContainerState, V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  buildImsCleanupJob,
  buildJob,
  cleanupJobName,
  encodeStepMessage,
  imsCleanupOf,
  isHelperObject,
  stepMessage,
  type JobImageService,
} from "../../../src/jobs/index.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const JOB_A = "6b1b7c6e-2f35-4d7e-9a0e-0b7d2c1f4a11";
const JOB_B = "d4c0a3f0-7b1e-4a2c-8f5e-5e9d7c3b2a10";
const T = new Date("2024-05-01T10:00:00Z");
const SERVICE: JobImageService = {
  imsUrl: "http://cray-ims.services.svc.cluster.local",
  sshKeySecret: "cfs-ims-ssh",
  imsTokenSecret: "cfs-ims-token",
};

function job(fixture: RunSpecFixture): V1Job {
  return buildJob({
    spec: runSpec(fixture),
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 3600, imageService: SERVICE },
  });
}

const running: V1ContainerState = { running: { startedAt: T } };
const staged: V1ContainerState = {
  terminated: {
    exitCode: 0,
    message: encodeStepMessage(
      stepMessage({ step: "inventory", status: "succeeded", exit_code: null, ims_jobs: [JOB_A, JOB_B] }),
    ),
  },
};
const ended: V1ContainerState = { terminated: { exitCode: 0 } };

function pod(states: Record<string, V1ContainerState>): V1Pod {
  const status = (name: string): V1ContainerStatus => ({
    name,
    image: "",
    imageID: "",
    ready: false,
    restartCount: 0,
    state: states[name] ?? { waiting: { reason: "PodInitializing" } },
  });
  return {
    status: {
      initContainerStatuses: ["git-clone-0", "inventory", "ansible-0"].map(status),
      containerStatuses: [status("teardown")],
    },
  };
}

describe("imsCleanupOf", () => {
  const image = job({ definition: "image" });
  const cases: Array<{ name: string; job: V1Job; pod: V1Pod | null; known: string[] | null }> = [
    {
      name: "a session that is not an image session",
      job: job({}),
      pod: pod({ inventory: staged }),
      known: null,
    },
    { name: "an image session without a pod", job: image, pod: null, known: null },
    { name: "an image session before inventory started", job: image, pod: pod({}), known: null },
    {
      name: "an image session stopped while staging",
      job: image,
      pod: pod({ inventory: running }),
      known: [],
    },
    {
      name: "an image session stopped in a layer",
      job: image,
      pod: pod({ inventory: staged, "ansible-0": running }),
      known: [JOB_A, JOB_B],
    },
    {
      name: "an image session stopped in teardown",
      job: image,
      pod: pod({ inventory: staged, teardown: running }),
      known: [JOB_A, JOB_B],
    },
    {
      name: "an image session whose teardown ended",
      job: image,
      pod: pod({ inventory: staged, teardown: ended }),
      known: null,
    },
  ];
  for (const c of cases) {
    it(`${c.known === null ? "needs no cleanup" : "needs a cleanup"} for ${c.name}`, () => {
      const target = imsCleanupOf({ job: c.job, pod: c.pod });
      expect(target === null ? null : target.knownJobs).toEqual(c.known);
    });
  }
});

describe("cleanupJobName", () => {
  const long = `cfs-${"a".repeat(50)}-1a2b3c4d`;
  const cases: Array<[string, string]> = [
    ["cfs-img-11467420", "cfs-img-11467420-cleanup"],
    [long, `cfs-${"a".repeat(42)}-1a2b3c4d-cleanup`],
    [`cfs-${"b".repeat(45)}--1a2b3c4d`, `cfs-${"b".repeat(42)}-1a2b3c4d-cleanup`],
  ];
  for (const [name, expected] of cases) {
    it(`names the cleanup Job of ${name} ${expected} (at most 63 characters, hash kept)`, () => {
      expect(cleanupJobName(name)).toBe(expected);
      expect(cleanupJobName(name).length).toBeLessThanOrEqual(63);
    });
  }
});

describe("buildImsCleanupJob", () => {
  const session = job({ definition: "image" });
  const built = buildImsCleanupJob({
    target: { job: session, knownJobs: [JOB_A] },
    namespace: "ns",
    image: "step:1",
    site: { service: { ...SERVICE, cleanupSettleMs: 250 } },
  });
  const container = built.spec?.template.spec?.containers[0];

  it("is a helper with the session Job's labels, retried twice, expiring soon after it ends", () => {
    expect(built.metadata?.name).toBe(cleanupJobName(session.metadata?.name ?? ""));
    expect(built.metadata?.labels).toMatchObject(session.metadata?.labels ?? {});
    expect(isHelperObject(built)).toBe(true);
    expect(isHelperObject(built.spec?.template ?? {})).toBe(true);
    expect(isHelperObject(session)).toBe(false);
    expect(built.spec).toMatchObject({ backoffLimit: 2, ttlSecondsAfterFinished: 600 });
  });

  it("runs `cfs-gitops step ims-cleanup` with the token by reference, never as a value", () => {
    expect(container?.command).toEqual(["cfs-gitops", "step", "ims-cleanup"]);
    expect(container?.args).toBeUndefined();
    expect(container?.env).toEqual([
      { name: "CFS_JOB", value: session.metadata?.name },
      { name: "CFS_IMS_URL", value: SERVICE.imsUrl },
      { name: "CFS_IMS_JOBS", value: JOB_A },
      { name: "CFS_IMS_CLEANUP_SETTLE_MS", value: "250" },
      {
        name: "CFS_IMS_TOKEN",
        valueFrom: { secretKeyRef: { name: "cfs-ims-token", key: "token", optional: false } },
      },
    ]);
  });
});
