/**
 * The kubernetes runner with 20,000 components (generated here, not committed), on the suite's real
 * kube-apiserver: a spec session carries none of them, and a dynamic session gets them through a
 * compressed ConfigMap owned by its Job, whose inventory step writes every host.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { ANNOTATION_RUN_SPEC, inventoryConfigMapName } from "../../../src/jobs/index.js";
import { MANAGED_SELECTOR } from "../../../src/runners/kubernetes/index.js";
import {
  ConfigRepo,
  configurationYaml,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { startKubeController, type KubeController } from "../../helpers/kube-controller.js";
import { createNamespace, waitFor, waitForJobPod } from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
const COMPONENTS = 20_000;
const namespace = "inventory-scale";

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let controller: KubeController;

/** `components/<id>.yaml` for COMPONENTS nodes in a few groups and roles, plus localhost. */
function components(): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < COMPONENTS; i += 1) {
    const id = `x${1000 + Math.floor(i / 64)}c0s${i % 64}b0n0`;
    files[`components/${id}.yaml`] =
      `apiVersion: cfs-gitops/v1\nkind: Component\nid: ${id}\ndesired_config: ""\n` +
      `groups: [rack${i % 40}]\nrole: Compute\nsub_role: ${i % 2 === 0 ? "Worker" : "Login"}\n` +
      `tags: { note: "a tag the inventory does not need, ${i}" }\n`;
  }
  files["components/localhost.yaml"] = "apiVersion: cfs-gitops/v1\nkind: Component\nid: localhost\n";
  return files;
}

function record(name: string): SessionRecord | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  return text === null ? null : (JSON.parse(text) as SessionRecord);
}

async function theJob(session: string): Promise<V1Job> {
  return waitFor(
    async () =>
      (
        await batch.listNamespacedJob({
          namespace,
          labelSelector: `${MANAGED_SELECTOR},cfsession=${session}`,
        })
      ).items[0],
    { what: `the Job of ${session}`, timeoutMs: 120_000 },
  );
}

/**
 * Hosts per group of the generated inventory (`all` and each of `all.children`), read line by line:
 * the file's layout is fixed (see build-inventory.ts), and a YAML parse of 20,000 hosts is slow.
 */
function hostCounts(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  let group = "";
  for (const line of text.split("\n")) {
    const top = /^ {2}(hosts|children):$/.exec(line);
    if (top !== null) group = top[1] === "hosts" ? "all" : "";
    const child = /^ {4}([^ :]+):$/.exec(line);
    if (child !== null && group !== "all") group = child[1] ?? "";
    const depth = group === "all" ? 4 : 8;
    if (new RegExp(`^ {${depth}}[^ :]+:$`).test(line) && (group === "all" || /^ {8}/.test(line)))
      counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  dir = tempDir("cfs-kube-inventory-");
  await createNamespace(core, namespace);
  repo = new ConfigRepo(join(dir.path, "config"));
  const layer = makeLayerRepo(dir.path, "layer", {
    "site.yml": playbook({ file: join(dir.path, "marks"), line: "ran" }),
  });
  repo.commit({
    ...components(),
    "configurations/one.yaml": configurationYaml("one", [{ name: "one", url: layer }]),
    "sessions/by-spec.yaml": sessionYaml("by-spec", "one"),
    "sessions/dynamic.yaml":
      "apiVersion: cfs-gitops/v1\nkind: Session\nname: dynamic\nconfiguration:\n  name: one\n" +
      "ansible:\n  limit: localhost\ntarget:\n  definition: dynamic\n",
  });
  controller = await startKubeController({ cluster, namespace, repo: repo.path });
}, 300_000);

afterAll(async () => {
  await controller.close();
  dir.cleanup();
});

describe("the kubernetes runner with 20,000 components", () => {
  it("runs a spec session whose Job carries none of them", async () => {
    const job = await theJob("by-spec");
    const annotation = job.spec?.template.metadata?.annotations?.[ANNOTATION_RUN_SPEC] ?? "";
    expect(Buffer.byteLength(annotation)).toBeLessThan(8 * 1024);
    expect((JSON.parse(annotation) as { components: unknown[] }).components).toEqual([]);
    const pod = await waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
    await runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: join(dir.path, "by-spec-pod") });
    await waitFor(
      () => Promise.resolve(record("by-spec")?.status.session.status === "complete" || undefined),
      {
        what: "by-spec to complete",
        timeoutMs: 60_000,
      },
    );
    expect(record("by-spec")?.status.session.succeeded).toBe("true");
  });

  it("gives a dynamic session all of them in a compressed ConfigMap owned by its Job", async () => {
    const job = await theJob("dynamic");
    const name = job.metadata?.name ?? "";
    const annotation = job.spec?.template.metadata?.annotations?.[ANNOTATION_RUN_SPEC] ?? "";
    expect(Buffer.byteLength(annotation)).toBeLessThan(8 * 1024);
    const configMap = await waitFor(
      () =>
        core
          .readNamespacedConfigMap({ name: inventoryConfigMapName(name), namespace })
          .catch(() => undefined),
      { what: "the inventory ConfigMap" },
    );
    expect(configMap.metadata?.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Job", name, uid: job.metadata?.uid }),
    ]);
    const pod = await waitForJobPod(core, { namespace, name });
    const podDir = join(dir.path, "dynamic-pod");
    await runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: podDir, holdAt: "ansible-0" });
    const hosts = hostCounts(
      readFileSync(join(podDir, "volumes", "work", "hosts", "01-cfs-generated.yaml"), "utf8"),
    );
    expect(hosts.get("all")).toBe(COMPONENTS + 1);
    expect(hosts.get("Compute_Worker")).toBe(COMPONENTS / 2);
    expect(hosts.get("rack7")).toBe(COMPONENTS / 40);
  }, 300_000);
});
