/**
 * The cfs Job layout (seed 000) with the real Controller, kube-apiserver and Job controller: the
 * tests play the kubelet (runPodSteps runs each container's real step code with real git and
 * ansible-playbook, and reports its state through the pod's status), and a log kubelet serves what
 * the containers printed to the API server's pod log endpoint. The session record, per-layer
 * results and per-layer logs must be those of the per-layer layout.
 */
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { beginMarker, endMarker, stepMessage, type JobLayout } from "../../../src/jobs/index.js";
import { MANAGED_SELECTOR } from "../../../src/runners/kubernetes/index.js";
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
import { startKubeController, type KubeController } from "../../helpers/kube-controller.js";
import { startLogKubelet, type LogKubelet } from "../../helpers/kube-log-kubelet.js";
import { createNamespace, waitFor, waitForJobPod } from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);

let dir: { path: string; cleanup: () => void };
let kubelet: LogKubelet;
let count = 0;
const running: KubeController[] = [];

beforeAll(async () => {
  dir = tempDir("cfs-kube-layout-");
  kubelet = await startLogKubelet({ core, dir: join(dir.path, "kubelet") });
});

afterAll(async () => {
  await kubelet?.close();
  dir?.cleanup();
});

afterEach(async () => {
  for (const controller of running.splice(0)) await controller.close();
});

function layerRepo(name: string, fail = false): string {
  const marks = join(dir.path, `${name}.marks`);
  return makeLayerRepo(dir.path, name, { "site.yml": playbook({ file: marks, line: name, fail }) });
}

/** A namespace, a repository with `files`, and a controller whose Jobs have `layout`. */
async function setup(name: string, layout: JobLayout, files: Record<string, string>) {
  count += 1;
  const namespace = `layout-${count}-${name}`.slice(0, 63);
  await createNamespace(core, namespace);
  const repo = new ConfigRepo(join(dir.path, namespace, "config"));
  repo.commit(files);
  const controller = await startKubeController({
    cluster,
    namespace,
    repo: repo.path,
    runner: { options: { activeDeadlineSeconds: 3600, layout }, progressIntervalMs: 200 },
  });
  running.push(controller);
  return { namespace, repo };
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

async function theJob(namespace: string, session: string): Promise<{ job: V1Job; pod: V1Pod }> {
  const job = await waitFor(
    async () =>
      (
        await batch.listNamespacedJob({
          namespace,
          labelSelector: `${MANAGED_SELECTOR},cfsession=${session}`,
        })
      ).items[0],
    { what: `the Job of ${session}` },
  );
  const pod = await waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
  return { job, pod };
}

/** Runs the pod as the kubelet would, its logs served through the API server. */
async function runPod(input: { namespace: string; pod: V1Pod; holdAt?: string }) {
  const pod = input.pod.metadata?.name ?? "";
  return runPodSteps({
    core,
    namespace: input.namespace,
    pod,
    dir: join(dir.path, input.namespace, "pod"),
    onLog: (container, log) => kubelet.logs.set(`${input.namespace}/${pod}/${container}`, log),
    ...(input.holdAt === undefined ? {} : { holdAt: input.holdAt }),
  });
}

const files = (layers: Array<{ name: string; url: string }>, session: string) => ({
  "configurations/three.yaml": configurationYaml("three", layers),
  [`sessions/${session}.yaml`]: sessionYaml(session, "three"),
});

/** What a record says of its layers and steps, without times. */
function shape(r: SessionRecord) {
  return {
    session: { status: r.status.session.status, succeeded: r.status.session.succeeded },
    reason: r.status.reason,
    layers: r.status.layers.map((l) => ({ ...l, recap: Object.keys(l.recap) })),
    steps: r.status.steps.map((s) => [s.name, s.status, s.exit_code]),
  };
}

describe("the cfs Job layout with the controller", () => {
  it("runs all layers in one ansible container and records the same session as the per-layer layout", async () => {
    const layers = [
      { name: "base", url: layerRepo("base") },
      { name: "broken", url: layerRepo("broken", true) },
      { name: "never", url: layerRepo("never") },
    ];
    const records: SessionRecord[] = [];
    for (const layout of ["cfs", "per-layer"] as const) {
      const session = `same-${layout}`;
      const { namespace, repo } = await setup(session, layout, files(layers, session));
      const { job, pod } = await theJob(namespace, session);
      const names = [
        ...(job.spec?.template.spec?.initContainers ?? []),
        ...(job.spec?.template.spec?.containers ?? []),
      ];
      if (layout === "cfs") expect(names.map((c) => c.name)).toEqual(["git-clone", "inventory", "ansible"]);
      await runPod({ namespace, pod });
      records.push(
        await waitForRecord(repo, session, (r) => r.status.session.status === "complete", "complete"),
      );
    }
    const [cfs, perLayer] = records.map((r) => shape(r));
    expect(cfs).toEqual(perLayer);
    expect(cfs?.session).toEqual({ status: "complete", succeeded: "false" });
    expect(cfs?.reason).toBe("layer 1 (site.yml) failed on 1 host: localhost");
    expect(cfs?.layers.map((l) => [l.name, l.status, l.exit_code, l.commit, l.failed_hosts])).toEqual([
      ["base", "succeeded", 0, git(layers[0]?.url ?? "", ["rev-parse", "main"]), []],
      ["broken", "failed", 2, git(layers[1]?.url ?? "", ["rev-parse", "main"]), ["localhost"]],
      ["never", "skipped", null, git(layers[2]?.url ?? "", ["rev-parse", "main"]), []],
    ]);
  });

  it("shows per-layer progress while the ansible container runs, and commits per-layer logs when it ends", async () => {
    const layers = [
      { name: "first", url: layerRepo("first") },
      { name: "second", url: layerRepo("second") },
    ];
    const { namespace, repo } = await setup("progress", "cfs", files(layers, "progress"));
    const { job, pod } = await theJob(namespace, "progress");
    const podName = pod.metadata?.name ?? "";
    await kubelet.bind(namespace, podName);
    await runPod({ namespace, pod, holdAt: "ansible" });
    // What the running container has printed so far: layer 0 done, layer 1 begun.
    const recap = { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    const layer0 = stepMessage({
      step: "ansible-0",
      status: "succeeded",
      exit_code: 0,
      recap,
      hosts: { localhost: recap },
    });
    kubelet.logs.set(
      `${namespace}/${podName}/ansible`,
      [
        beginMarker("ansible-0"),
        "PLAY RECAP",
        endMarker(layer0),
        beginMarker("ansible-1"),
        "TASK [x]",
        "",
      ].join("\n"),
    );
    const midway = await waitForRecord(
      repo,
      "progress",
      (r) => r.status.layers[0]?.status === "succeeded",
      "layer 0 succeeded while running",
    );
    expect(midway.status.session.status).toBe("running");
    expect(midway.status.layers.map((l) => l.status)).toEqual(["succeeded", "running"]);
    expect(midway.status.layers[0]?.recap).toEqual({ localhost: recap });
    expect(kubelet.requests).toContain(`${namespace}/${podName}/ansible`);

    await runPod({ namespace, pod });
    const done = await waitForRecord(
      repo,
      "progress",
      (r) => r.status.session.status === "complete",
      "complete",
    );
    expect(done.status.session.succeeded).toBe("true");
    expect(done.status.session.job).toBe(job.metadata?.name);
    const first = repo.statusFile("logs/progress/ansible-0.log") ?? "";
    const second = repo.statusFile("logs/progress/ansible-1.log") ?? "";
    expect(first).toMatch(/ansible-playbook .*layer0\/site\.yml/);
    expect(first).toContain("PLAY RECAP");
    expect(first).not.toContain("layer1/site.yml");
    expect(first).not.toContain("##cfs-gitops##");
    expect(second).toMatch(/ansible-playbook .*layer1\/site\.yml/);
    expect(repo.statusFile("logs/progress/git-clone-1.log")).toContain("$ git clone");
    expect(repo.statusFile("logs/progress/inventory.log")).not.toBeNull();
  });
});
