/**
 * The real Controller with the kubernetes runner on a real kube-apiserver and Job controller, and a
 * local configuration repository. The tests play the kubelet: runPodSteps runs each container's
 * real step code (real git, real ansible-playbook) and reports its state and termination message
 * through the pod's status subresource.
 */
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { pino } from "pino";
import {
  buildJob,
  encodeStepMessage,
  stepMessage,
  terminationMessageBudget,
} from "../../../src/jobs/index.js";
import { createKubernetesRunner, MANAGED_SELECTOR } from "../../../src/runners/kubernetes/index.js";
import {
  ConfigRepo,
  configurationYaml,
  git,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { startKubeController, TEST_IMAGES, type KubeController } from "../../helpers/kube-controller.js";
import { finishPodAsKubelet } from "../../helpers/kube-kubelet.js";
import { createNamespace, waitFor, waitForJobDeleted, waitForJobPod } from "../../helpers/kube-objects.js";
import { runSpec } from "../../helpers/kube-run-specs.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);

let dir: { path: string; cleanup: () => void };
let namespaceCount = 0;
const running: KubeController[] = [];

beforeAll(() => {
  dir = tempDir("cfs-kube-runner-");
  return () => dir.cleanup();
});

afterEach(async () => {
  for (const controller of running.splice(0)) await controller.close();
});

/** A fresh namespace, a configuration repository and a controller on both. */
async function setup(name: string, files: Record<string, string>) {
  namespaceCount += 1;
  const namespace = `runner-${namespaceCount}-${name}`.slice(0, 63);
  await createNamespace(core, namespace);
  const repo = new ConfigRepo(join(dir.path, namespace, "config"));
  repo.commit(files);
  const controller = await start({ namespace, repo });
  return { namespace, repo, controller };
}

async function start(input: {
  namespace: string;
  repo: ConfigRepo;
  runner?: Parameters<typeof startKubeController>[0]["runner"];
}) {
  const controller = await startKubeController({
    cluster,
    namespace: input.namespace,
    repo: input.repo.path,
    ...(input.runner === undefined ? {} : { runner: input.runner }),
  });
  running.push(controller);
  return controller;
}

function record(repo: ConfigRepo, name: string): SessionRecord | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  return text === null ? null : (JSON.parse(text) as SessionRecord);
}

function waitForRecord(repo: ConfigRepo, name: string, check: (r: SessionRecord) => boolean, what: string) {
  return waitFor(
    () => {
      const current = record(repo, name);
      return Promise.resolve(current !== null && check(current) ? current : undefined);
    },
    { what: `${name}: ${what}`, timeoutMs: 60_000 },
  );
}

function isComplete(r: SessionRecord): boolean {
  return r.status.session.status === "complete";
}

async function jobsOf(namespace: string, session: string): Promise<V1Job[]> {
  const list = await batch.listNamespacedJob({
    namespace,
    labelSelector: `${MANAGED_SELECTOR},cfsession=${session}`,
  });
  return list.items;
}

async function theJob(namespace: string, session: string): Promise<{ job: V1Job; pod: V1Pod }> {
  const job = await waitFor(async () => (await jobsOf(namespace, session))[0], {
    what: `the Job of ${session}`,
  });
  const pod = await waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
  return { job, pod };
}

function layerRepo(name: string, fail = false): string {
  const marks = join(dir.path, `${name}.marks`);
  return makeLayerRepo(dir.path, name, { "site.yml": playbook({ file: marks, line: name, fail }) });
}

function config(name: string, layers: Array<{ name: string; url: string }>): Record<string, string> {
  return { [`configurations/${name}.yaml`]: configurationYaml(name, layers) };
}

function session(name: string, configuration: string): Record<string, string> {
  return { [`sessions/${name}.yaml`]: sessionYaml(name, configuration) };
}

describe("the kubernetes runner with the controller", () => {
  it("runs a session as one Job and records it complete with each layer's result", async () => {
    const base = layerRepo("base");
    const extra = layerRepo("extra");
    const { namespace, repo } = await setup("ok", {
      ...config("two", [
        { name: "base", url: base },
        { name: "extra", url: extra },
      ]),
      ...session("ok", "two"),
    });
    const { job, pod } = await theJob(namespace, "ok");
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      ttlSecondsAfterFinished: 604_800,
      activeDeadlineSeconds: 3600,
    });
    const pending = await waitForRecord(
      repo,
      "ok",
      (r) => r.status.session.job === job.metadata?.name,
      "recorded",
    );
    expect(pending.status.session.status).toBe("pending");

    await runPodSteps({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      dir: join(dir.path, namespace, "pod"),
    });
    const done = await waitForRecord(repo, "ok", isComplete, "complete");
    expect(done.status.session).toMatchObject({
      status: "complete",
      succeeded: "true",
      job: job.metadata?.name,
    });
    expect(done.status.reason).toBeNull();
    const commits = [base, extra].map((bare) => git(bare, ["rev-parse", "main"]));
    expect(done.status.layers.map((l) => [l.index, l.name, l.status, l.exit_code, l.commit])).toEqual([
      [0, "base", "succeeded", 0, commits[0]],
      [1, "extra", "succeeded", 0, commits[1]],
    ]);
    expect(done.status.layers[0]?.recap["localhost"]).toMatchObject({ ok: 1, changed: 1, failed: 0 });
    expect(done.status.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:succeeded",
      "git-clone-1:succeeded",
      "inventory:succeeded",
      "ansible-0:succeeded",
      "ansible-1:succeeded",
    ]);
    expect(await jobsOf(namespace, "ok")).toHaveLength(1);
  });

  it("fails a session whose clone fails, with git's reason, and skips the rest", async () => {
    const { namespace, repo } = await setup("clone", {
      ...config("missing", [{ name: "gone", url: join(dir.path, "no-such-repo.git") }]),
      ...session("clone", "missing"),
    });
    const { pod } = await theJob(namespace, "clone");
    const run = await runPodSteps({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      dir: join(dir.path, namespace, "pod"),
    });
    expect(run.logs.get("report")).toContain("git-clone-0: failed");
    const done = await waitForRecord(repo, "clone", isComplete, "complete");
    expect(done.status.session.succeeded).toBe("false");
    expect(done.status.reason).toMatch(/^git-clone-0: could not resolve the branch of .*no-such-repo\.git: /);
    expect(done.status.layers.map((l) => l.status)).toEqual(["failed"]);
    expect(done.status.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:failed",
      "inventory:skipped",
      "ansible-0:skipped",
    ]);
  });

  it("fails a session whose layer fails: later layers skip and the report fails the Job", async () => {
    const { namespace, repo } = await setup("layer", {
      ...config("three", [
        { name: "first", url: layerRepo("first") },
        { name: "broken", url: layerRepo("broken", true) },
        { name: "never", url: layerRepo("never") },
      ]),
      ...session("layer", "three"),
    });
    const { job, pod } = await theJob(namespace, "layer");
    await runPodSteps({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      dir: join(dir.path, namespace, "pod"),
    });
    const done = await waitForRecord(repo, "layer", isComplete, "complete");
    expect(done.status.session.succeeded).toBe("false");
    expect(done.status.reason).toBe("layer 1 (site.yml) failed on 1 host: localhost");
    expect(done.status.layers.map((l) => [l.name, l.status, l.exit_code, l.failed_hosts])).toEqual([
      ["first", "succeeded", 0, []],
      ["broken", "failed", 2, ["localhost"]],
      ["never", "skipped", null, []],
    ]);
    const failed = await batch.readNamespacedJob({ name: job.metadata?.name ?? "", namespace });
    expect(failed.status?.conditions?.find((c) => c.type === "Failed")?.status).toBe("True");
  });

  it("ends a session whose Job is deleted by someone else as complete/unknown", async () => {
    const { namespace, repo } = await setup("deleted", {
      ...config("one", [{ name: "one", url: layerRepo("one") }]),
      ...session("deleted", "one"),
    });
    const { job, pod } = await theJob(namespace, "deleted");
    await runPodSteps({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      dir: join(dir.path, namespace, "pod"),
      holdAt: "ansible-0",
    });
    await waitForRecord(repo, "deleted", (r) => r.status.session.status === "running", "running");
    await batch.deleteNamespacedJob({
      name: job.metadata?.name ?? "",
      namespace,
      propagationPolicy: "Background",
    });
    const done = await waitForRecord(repo, "deleted", isComplete, "complete");
    expect(done.status.session.succeeded).toBe("unknown");
    expect(done.status.reason).toBe(
      `the Job ${job.metadata?.name} was deleted before the session ended (not by cfs-gitops)`,
    );
    expect(done.status.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:succeeded",
      "inventory:succeeded",
      "ansible-0:cancelled",
    ]);
  });

  it("cancels a running session whose manifest is deleted: its Job goes with foreground propagation", async () => {
    const { namespace, repo } = await setup("cancel", {
      ...config("one", [{ name: "one", url: layerRepo("cancel-layer") }]),
      ...session("cancel", "one"),
    });
    const { job, pod } = await theJob(namespace, "cancel");
    const podName = pod.metadata?.name ?? "";
    await runPodSteps({
      core,
      namespace,
      pod: podName,
      dir: join(dir.path, namespace, "pod"),
      holdAt: "ansible-0",
    });
    await waitForRecord(repo, "cancel", (r) => r.status.session.status === "running", "running");
    // A finalizer holds the pod, so the Job visibly waits for it: foreground deletion.
    await setFinalizers(namespace, podName, ["cfs-gitops.test/hold"]);
    repo.commit({ "sessions/cancel.yaml": null }, "delete the session");
    const deleting = await waitFor(
      async () => {
        const current = await batch.readNamespacedJob({ name: job.metadata?.name ?? "", namespace });
        return current.metadata?.deletionTimestamp === undefined ? undefined : current;
      },
      { what: "the Job to be deleting" },
    );
    expect(deleting.metadata?.finalizers).toContain("foregroundDeletion");
    await waitFor(() => Promise.resolve(record(repo, "cancel") === null ? true : undefined), {
      what: "the session record to be removed",
    });
    await setFinalizers(namespace, podName, []);
    await waitForJobDeleted(batch, { namespace, name: job.metadata?.name ?? "" });
    expect(repo.statusLog("sessions/cancel.json")[0]).toMatch(/Cfs-Session: cancel deleted/);
  });

  it("picks a running session up after a controller restart: no second Job, status continues", async () => {
    const { namespace, repo, controller } = await setup("restart", {
      ...config("one", [{ name: "one", url: layerRepo("restart-layer") }]),
      ...session("restart", "one"),
    });
    const { job, pod } = await theJob(namespace, "restart");
    const podDir = join(dir.path, namespace, "pod");
    await runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: podDir, holdAt: "inventory" });
    await waitForRecord(repo, "restart", (r) => r.status.session.status === "running", "running");
    await controller.close();
    running.splice(running.indexOf(controller), 1);

    const again = await start({ namespace, repo });
    await again.controller.pass();
    const jobs = await jobsOf(namespace, "restart");
    expect(jobs.map((j) => j.metadata?.uid)).toEqual([job.metadata?.uid]);
    expect(record(repo, "restart")?.status.session.status).toBe("running");

    await runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: podDir });
    const done = await waitForRecord(repo, "restart", isComplete, "complete");
    expect(done.status.session).toMatchObject({ succeeded: "true", job: job.metadata?.name });
    expect((await jobsOf(namespace, "restart")).map((j) => j.metadata?.uid)).toEqual([job.metadata?.uid]);
  });

  it("removes a Job labelled as ours that no session references", async () => {
    namespaceCount += 1;
    const namespace = `runner-${namespaceCount}-orphan`;
    await createNamespace(core, namespace);
    const stray = runSpec({ name: "stray" });
    const body = buildJob({
      spec: stray,
      namespace,
      images: TEST_IMAGES,
      options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 60 },
    });
    await batch.createNamespacedJob({ namespace, body });
    const repo = new ConfigRepo(join(dir.path, namespace, "config"));
    repo.commit(config("unused", [{ name: "x", url: layerRepo("unused") }]));
    await start({ namespace, repo });
    await waitForJobDeleted(batch, { namespace, name: stray.job });
  });

  it("ends a session that outlives its deadline with the reason in plain words", async () => {
    namespaceCount += 1;
    const namespace = `runner-${namespaceCount}-deadline`;
    await createNamespace(core, namespace);
    const repo = new ConfigRepo(join(dir.path, namespace, "config"));
    repo.commit({ ...config("one", [{ name: "one", url: layerRepo("slow") }]), ...session("late", "one") });
    await start({ namespace, repo, runner: { options: { activeDeadlineSeconds: 2 } } });
    const done = await waitForRecord(repo, "late", isComplete, "complete");
    expect(done.status.session.succeeded).toBe("false");
    expect(done.status.reason).toBe("the session exceeded its deadline of 2 s");
  });
});

async function setFinalizers(namespace: string, pod: string, finalizers: string[]): Promise<void> {
  const current = await core.readNamespacedPod({ name: pod, namespace });
  await core.replaceNamespacedPod({
    name: pod,
    namespace,
    body: { ...current, metadata: { ...current.metadata, finalizers } },
  });
}

describe("the kubernetes runner on its own", () => {
  const log = pino({ level: "silent" });

  async function runnerIn(name: string) {
    namespaceCount += 1;
    const namespace = `runner-${namespaceCount}-${name}`;
    await createNamespace(core, namespace);
    const runner = await createKubernetesRunner({
      kubeConfig: kubeConfigFor(cluster),
      namespace,
      images: TEST_IMAGES,
      options: { activeDeadlineSeconds: 600 },
      log,
    });
    closers.push(() => runner.close());
    return { namespace, runner };
  }

  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it("sets ttlSecondsAfterFinished from session_ttl, and none when sessions never expire", async () => {
    const { namespace, runner } = await runnerIn("ttl");
    const cases = [
      { name: "two-days", sessionTtl: "2d", ttl: 172_800 },
      { name: "default", sessionTtl: undefined, ttl: 604_800 },
      { name: "forever", sessionTtl: "", ttl: undefined },
    ];
    for (const c of cases) {
      const spec = {
        ...runSpec({ name: c.name }),
        ...(c.sessionTtl === undefined ? {} : { sessionTtl: c.sessionTtl }),
      };
      await runner.start(spec);
      const job = await batch.readNamespacedJob({ name: spec.job, namespace });
      expect([c.name, job.spec?.ttlSecondsAfterFinished]).toEqual([c.name, c.ttl]);
    }
  });

  it("starts a session once however often it is asked, and reports it pending until a container starts", async () => {
    const { namespace, runner } = await runnerIn("once");
    let changes = 0;
    runner.onChange(() => (changes += 1));
    const spec = runSpec({ name: "once" });
    await runner.start(spec);
    await runner.start(spec);
    expect((await jobsOf(namespace, "once")).length).toBe(1);
    expect((await runner.observe()).get("once")).toMatchObject({
      job: spec.job,
      phase: "pending",
      succeeded: "none",
    });
    await waitFor(() => Promise.resolve(changes > 0 ? true : undefined), { what: "an onChange call" });
  });

  it("keeps a run complete after the TTL controller deletes its Job, and has no log of it", async () => {
    const { namespace, runner } = await runnerIn("expired");
    const spec = { ...runSpec({ name: "expired" }), sessionTtl: "0m" };
    await runner.start(spec);
    const pod = await waitForJobPod(core, { namespace, name: spec.job });
    const count = (pod.spec?.initContainers?.length ?? 0) + (pod.spec?.containers.length ?? 0);
    const recap = { ok: 1, changed: 0, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    const message = encodeStepMessage(
      stepMessage({ step: "ansible-0", status: "succeeded", exit_code: 0, recap, hosts: { nid1: recap } }),
      terminationMessageBudget(count),
    );
    await finishPodAsKubelet({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      exits: { "ansible-0": { exitCode: 0, message } },
    });
    await waitForJobDeleted(batch, { namespace, name: spec.job });
    const obs = await waitFor(
      async () => {
        const current = (await runner.observe()).get("expired");
        return current?.phase === "complete" ? current : undefined;
      },
      { what: "the run to be complete" },
    );
    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(obs.layers[0]).toMatchObject({ status: "succeeded", recap: { nid1: recap } });
    expect(await runner.readLog(spec.job, "ansible-0")).toBeNull();
    await runner.remove("expired", spec.job);
    expect((await runner.observe()).has("expired")).toBe(false);
  });

  it("removes a Job that is already gone without complaint", async () => {
    const { runner } = await runnerIn("gone");
    await expect(runner.remove("gone", "cfs-gone-00000000")).resolves.toBeUndefined();
  });

  it("is ready once its informers have listed, and not after close()", async () => {
    const { runner } = await runnerIn("ready");
    expect(runner.isReady()).toBe(true);
    await runner.close();
    expect(runner.isReady()).toBe(false);
  });

  it("refuses to start with a clear error when it cannot list the namespace", async () => {
    const attempt = createKubernetesRunner({
      kubeConfig: kubeConfigFor(cluster, "not-a-valid-token"),
      namespace: "default",
      images: TEST_IMAGES,
      options: { activeDeadlineSeconds: 600 },
      log,
      syncTimeoutMs: 1500,
    });
    await expect(attempt).rejects.toThrow(
      /^could not list Jobs and pods in namespace default within 1500 ms: /,
    );
  });
});
