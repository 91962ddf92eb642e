/**
 * The Jobs buildJob writes, against a real kube-apiserver and the real Job controller
 * (test/kube/build.sh builds them). The test plays the kubelet.
 */
import {
  ApiException,
  BatchV1Api,
  CoreV1Api,
  RbacAuthorizationV1Api,
  type V1Pod,
} from "@kubernetes/client-node";
import { beforeAll, describe, expect, inject, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import {
  ANNOTATION_RUN_SPEC,
  buildJob,
  decodeStepMessage,
  encodeStepMessage,
  stepMessage,
  terminationMessageBudget,
  type BuildJobInput,
} from "../../../src/jobs/index.js";
import { kubeConfigFor, serviceAccountToken } from "../../helpers/kube-cluster.js";
import { finishPodAsKubelet, setPodContainerStates } from "../../helpers/kube-kubelet.js";
import {
  createNamespace,
  podsOfJob,
  waitFor,
  waitForJobCondition,
  waitForJobDeleted,
  waitForJobPod,
} from "../../helpers/kube-objects.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const namespace = "cfs-sessions";

const cluster = inject("kubeCluster");
let batch: BatchV1Api;
let core: CoreV1Api;

function jobInput(spec: RunSpec, options: Partial<BuildJobInput["options"]> = {}): BuildJobInput {
  return {
    spec,
    namespace,
    images: { step: "registry.local/cfs-gitops:test", ansible: "registry.local/cfs-aee:test" },
    options: {
      ttlSecondsAfterFinished: 3600,
      activeDeadlineSeconds: 3600,
      gitCredentialsSecret: "vcs-user",
      ...options,
    },
  };
}

async function createJob(fixture: RunSpecFixture, options: Partial<BuildJobInput["options"]> = {}) {
  const spec = runSpec(fixture);
  const job = await batch.createNamespacedJob({ namespace, body: buildJob(jobInput(spec, options)) });
  const pod = await waitForJobPod(core, { namespace, name: spec.job });
  return { spec, job, pod };
}

function names(pod: V1Pod) {
  return {
    init: (pod.spec?.initContainers ?? []).map((c) => c.name),
    main: (pod.spec?.containers ?? []).map((c) => c.name),
  };
}

/** The termination message a step would write, in the budget buildJob gave it. */
function message(pod: V1Pod, fields: Parameters<typeof stepMessage>[0]): string {
  const count = (pod.spec?.initContainers?.length ?? 0) + (pod.spec?.containers.length ?? 0);
  return encodeStepMessage(stepMessage(fields), terminationMessageBudget(count));
}

beforeAll(async () => {
  batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
  core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
  await createNamespace(core, namespace);
});

describe("buildJob on a real kube-apiserver", () => {
  it.each([
    {
      title: "a 1-layer session",
      fixture: { name: "one-layer", layers: 1 },
      init: ["git-clone-0", "inventory", "ansible-0"],
      main: ["report"],
    },
    {
      title: "a 3-layer session",
      fixture: { name: "three-layers", layers: 3 },
      init: ["git-clone-0", "git-clone-1", "git-clone-2", "inventory", "ansible-0", "ansible-1", "ansible-2"],
      main: ["report"],
    },
    {
      title: "an image-target session with additional inventory",
      fixture: { name: "image-session", layers: 2, definition: "image" as const, additionalInventory: true },
      init: ["git-clone-0", "git-clone-1", "git-clone-hosts", "inventory", "ansible-0", "ansible-1"],
      main: ["teardown"],
    },
  ])("is accepted for $title and the Job controller creates its pod", async ({ fixture, init, main }) => {
    const { spec, job, pod } = await createJob(fixture);
    expect(job.metadata?.name).toBe(spec.job);
    expect(names(pod)).toEqual({ init, main });
    expect(pod.metadata?.labels).toMatchObject({
      cfsession: spec.name,
      "app.kubernetes.io/managed-by": "cfs-gitops",
    });
    expect(pod.metadata?.ownerReferences?.[0]).toMatchObject({
      kind: "Job",
      name: spec.job,
      controller: true,
    });
    expect(JSON.parse(pod.metadata?.annotations?.[ANNOTATION_RUN_SPEC] ?? "null")).toEqual(spec);
  });

  it("is accepted with 20 layers, resources and a long session name (server-side dry run)", async () => {
    const spec = runSpec({ name: `a.${"b".repeat(43)}`, layers: 20, additionalInventory: true });
    const resources = { ansible: { requests: { cpu: "1", memory: "2Gi" }, limits: { memory: "4Gi" } } };
    const body = buildJob(jobInput(spec, { resources, serviceAccountName: "default" }));
    const job = await batch.createNamespacedJob({ namespace, body, dryRun: "All" });
    expect(job.spec?.template.spec?.initContainers).toHaveLength(42);
  });

  it("completes when the kubelet reports every step exited 0, and keeps each step's message", async () => {
    const { spec, pod } = await createJob({ name: "succeeds", layers: 1 });
    const recap = { ok: 3, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    const ansible = message(pod, { step: "ansible-0", status: "succeeded", exit_code: 0, recap });
    await finishPodAsKubelet({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      exits: { "ansible-0": { exitCode: 0, message: ansible } },
    });
    const job = await waitForJobCondition(batch, { namespace, name: spec.job, type: "Complete" });
    expect(job.status?.succeeded).toBe(1);
    const [stored] = await podsOfJob(core, { namespace, name: spec.job });
    const status = stored?.status?.initContainerStatuses?.find((s) => s.name === "ansible-0");
    expect(decodeStepMessage(status?.state?.terminated?.message)).toMatchObject({
      status: "succeeded",
      recap,
    });
  });

  it("fails when a layer fails: later layers skip, report runs last and exits 1", async () => {
    const { spec, pod } = await createJob({ name: "layer-fails", layers: 3 });
    const failed = message(pod, {
      step: "ansible-1",
      status: "failed",
      exit_code: 2,
      failed_hosts: ["x3000c0s1b0n0"],
    });
    const skipped = message(pod, {
      step: "ansible-2",
      status: "skipped",
      exit_code: null,
      reason: "ansible-1 failed",
    });
    await finishPodAsKubelet({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      exits: {
        "ansible-1": { exitCode: 0, message: failed },
        "ansible-2": { exitCode: 0, message: skipped },
        report: { exitCode: 1 },
      },
    });
    const job = await waitForJobCondition(batch, { namespace, name: spec.job, type: "Failed" });
    expect(job.status?.failed).toBe(1);
    expect(job.status?.conditions?.find((c) => c.type === "Failed")?.reason).toBe("BackoffLimitExceeded");
  });

  it("runs teardown of an image target after a failed layer, and the Job fails", async () => {
    const { spec, pod } = await createJob({ name: "image-fails", layers: 1, definition: "image" });
    const name = pod.metadata?.name ?? "";
    await setPodContainerStates({
      core,
      namespace,
      pod: name,
      phase: "Running",
      initContainers: [
        { name: "git-clone-0", state: "terminated", exitCode: 0 },
        { name: "inventory", state: "terminated", exitCode: 0 },
        {
          name: "ansible-0",
          state: "terminated",
          exitCode: 0,
          message: message(pod, { step: "ansible-0", status: "failed", exit_code: 2 }),
        },
      ],
      containers: [{ name: "teardown", state: "running" }],
    });
    const running = await batch.readNamespacedJob({ name: spec.job, namespace });
    expect(running.status?.conditions ?? []).toEqual([]);
    await finishPodAsKubelet({ core, namespace, pod: name, exits: { teardown: { exitCode: 1 } } });
    await waitForJobCondition(batch, { namespace, name: spec.job, type: "Failed" });
  });

  it("is deleted with its pod after ttlSecondsAfterFinished by the TTL controller and garbage collector", async () => {
    const { spec, pod } = await createJob({ name: "expires", layers: 1 }, { ttlSecondsAfterFinished: 0 });
    await finishPodAsKubelet({ core, namespace, pod: pod.metadata?.name ?? "" });
    await waitForJobDeleted(batch, { namespace, name: spec.job });
    await waitFor(
      async () => ((await podsOfJob(core, { namespace, name: spec.job })).length === 0 ? true : undefined),
      {
        what: "the pod to be garbage collected",
      },
    );
  });
});

describe("the test cluster's authentication", () => {
  it("issues ServiceAccount tokens that RBAC limits to what a Role grants", async () => {
    const rbac = kubeConfigFor(cluster).makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "runner" } } });
    await rbac.createNamespacedRole({
      namespace,
      body: {
        metadata: { name: "runner" },
        rules: [{ apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list"] }],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        metadata: { name: "runner" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "runner" },
        subjects: [{ kind: "ServiceAccount", name: "runner", namespace }],
      },
    });
    const token = await serviceAccountToken(cluster, { name: "runner", namespace });
    const asRunner = kubeConfigFor(cluster, token).makeApiClient(BatchV1Api);
    const body = buildJob(jobInput(runSpec({ name: "as-runner" })));
    const created = await asRunner.createNamespacedJob({ namespace, body, dryRun: "All" });
    expect(created.metadata?.name).toBe(body.metadata?.name);
    const forbidden = await asRunner
      .listNamespacedJob({ namespace: "default" })
      .catch((error: unknown) => error);
    expect(forbidden).toBeInstanceOf(ApiException);
    expect((forbidden as ApiException<unknown>).code).toBe(403);
  });
});
