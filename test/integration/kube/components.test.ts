/**
 * Components with the kubernetes runner on the suite's real kube-apiserver: a desired_config
 * commit makes the batcher create one Job for the pending components; the test plays the kubelet
 * (real git, real ansible-playbook in the step code) and the components are recorded configured.
 */
import { join } from "node:path";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ComponentRecord } from "../../../src/api/index.js";
import { MANAGED_SELECTOR } from "../../../src/runners/kubernetes/index.js";
import { ConfigRepo, makeLayerRepo, tempDir } from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { startKubeController, type KubeController } from "../../helpers/kube-controller.js";
import { createNamespace, waitFor, waitForJobPod } from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);

let dir: { path: string; cleanup: () => void };
let controller: KubeController | null = null;

beforeAll(() => {
  dir = tempDir("cfs-kube-components-");
});

afterAll(async () => {
  await controller?.close();
  dir.cleanup();
});

describe("components with the kubernetes runner", () => {
  it("runs the batcher's session as one Job and records the components configured", async () => {
    const namespace = "components-batcher";
    await createNamespace(core, namespace);
    const marks = join(dir.path, "marks.txt");
    const layer = makeLayerRepo(dir.path, "nodes", {
      "site.yml": `- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.shell: echo {{ inventory_hostname }} >> ${marks}\n`,
      "host_vars/n1.yml": "ansible_connection: local\n",
      "host_vars/n2.yml": "ansible_connection: local\n",
    });
    const repo = new ConfigRepo(join(dir.path, "config"));
    const component = (id: string) =>
      `apiVersion: cfs-gitops/v1\nkind: Component\nid: ${id}\ndesired_config: v1\n`;
    repo.commit({
      "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\nbatch_window: 0\n",
      "configurations/v1.yaml": `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: v1\nlayers:\n  - name: nodes\n    clone_url: ${layer}\n    branch: main\n    playbook: site.yml\n`,
      "components/n1.yaml": component("n1"),
      "components/n2.yaml": component("n2"),
    });
    controller = await startKubeController({ cluster, namespace, repo: repo.path });

    const job = await waitFor(
      async () => (await batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR })).items[0],
      { what: "the batcher's Job", timeoutMs: 60_000 },
    );
    expect(job.metadata?.labels?.["cfsession"]).toMatch(/^batcher-[0-9a-f]{16}$/);
    const pod = await waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
    await runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: join(dir.path, "pod") });

    const record = (id: string): ComponentRecord | null => {
      const text = repo.statusFile(`components/${id}.json`);
      return text === null ? null : (JSON.parse(text) as ComponentRecord);
    };
    await waitFor(
      async () => {
        await controller?.controller.pass();
        return record("n1")?.configuration_status === "configured" &&
          record("n2")?.configuration_status === "configured"
          ? true
          : undefined;
      },
      { what: "n1 and n2 configured", timeoutMs: 60_000 },
    );
    expect(record("n1")?.state.map((s) => [s.status, s.session_name])).toEqual([
      ["applied", job.metadata?.labels?.["cfsession"]],
    ]);
    expect(
      (await batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR })).items,
    ).toHaveLength(1);
  });
});
