/**
 * `--node-ssh-secret` with the real Controller, kube-apiserver and Job controller: the Secret holds
 * a key and the certificate a user CA signed for it (as cfs-trust issues them); the test plays the
 * kubelet (the Secret's files land in the pod's volume with the Job's mode), and a real sshd that
 * trusts only that CA stands in for the live node. The node session's ansible container logs in
 * with the certificate; with the key alone the node is unreachable.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { MANAGED_SELECTOR } from "../../../src/runners/kubernetes/index.js";
import { ConfigRepo, makeLayerRepo, sessionYaml, tempDir } from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { startKubeController, type KubeController } from "../../helpers/kube-controller.js";
import { createNamespace, waitFor, waitForJobPod } from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";
import { startCertSshd, type NodeSshd } from "../../helpers/node-sshd.js";

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);

let dir: { path: string; cleanup: () => void };
let sshd: NodeSshd;
let userKey: string;
let count = 0;
const running: KubeController[] = [];

beforeAll(async () => {
  dir = tempDir("cfs-kube-node-ssh-");
  const started = await startCertSshd({ dir: dir.path });
  sshd = started.sshd;
  userKey = started.userKey;
}, 60_000);

afterAll(async () => {
  await sshd?.stop();
  dir?.cleanup();
});

afterEach(async () => {
  for (const controller of running.splice(0)) await controller.close();
});

/** A namespace with the Secret, a repository with a node session on `node1`, and a controller. */
async function setup(name: string, secretData: Record<string, string>) {
  count += 1;
  const namespace = `node-ssh-${count}-${name}`;
  await createNamespace(core, namespace);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: "cfs-trust-key" }, data: secretData },
  });
  const mark = join(dir.path, `${name}.written`);
  const site = makeLayerRepo(dir.path, `${name}-site`, {
    "site.yml": `- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.copy:\n        content: "over ssh\\n"\n        dest: ${mark}\n`,
  });
  const hosts = makeLayerRepo(dir.path, `${name}-hosts`, {
    "hosts.yaml": `all:\n  hosts:\n    node1:\n      ansible_host: ${sshd.host}\n      ansible_port: ${sshd.port}\n      ansible_user: ${sshd.user}\n`,
  });
  const repo = new ConfigRepo(join(dir.path, namespace, "config"));
  repo.commit({
    "configurations/node.yaml": `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: node\nlayers:\n  - name: site\n    clone_url: ${site}\n    branch: main\n    playbook: site.yml\nadditional_inventory:\n  clone_url: ${hosts}\n  branch: main\n`,
    [`sessions/${name}.yaml`]: sessionYaml(name, "node").replace("members: [localhost]", "members: [node1]"),
  });
  const controller = await startKubeController({
    cluster,
    namespace,
    repo: repo.path,
    runner: { options: { activeDeadlineSeconds: 3600, layout: "cfs", nodeSshSecret: "cfs-trust-key" } },
  });
  running.push(controller);
  return { namespace, repo, mark };
}

async function podOf(namespace: string, session: string): Promise<V1Pod> {
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
  return waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
}

function complete(repo: ConfigRepo, name: string): Promise<SessionRecord> {
  return waitFor(
    () => {
      const text = repo.statusFile(`sessions/${name}.json`);
      const record = text === null ? null : (JSON.parse(text) as SessionRecord);
      return Promise.resolve(record?.status.session.status === "complete" ? record : undefined);
    },
    { what: `${name} complete`, timeoutMs: 120_000 },
  );
}

const base64 = (path: string) => readFileSync(path).toString("base64");

describe("--node-ssh-secret", () => {
  it("without the certificate, the node (which trusts only the CA) is unreachable", async () => {
    const { namespace, repo } = await setup("keyonly", { id_ecdsa: base64(userKey) });
    const pod = await podOf(namespace, "keyonly");
    await runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: join(dir.path, namespace) });
    const done = await complete(repo, "keyonly");
    expect(done.status.session.succeeded).toBe("false");
    expect(done.status.reason).toBe("layer 0 (site.yml) could not reach 1 host: node1");
  }, 150_000);

  it("logs the node session in with the Secret's key and certificate", async () => {
    const { namespace, repo, mark } = await setup("withcert", {
      id_ecdsa: base64(userKey),
      "id_ecdsa-cert.pub": base64(`${userKey}-cert.pub`),
    });
    const pod = await podOf(namespace, "withcert");
    const ansible = pod.spec?.containers.find((c) => c.name === "ansible");
    expect(ansible?.volumeMounts?.find((m) => m.mountPath === "/cfs/node-ssh")).toMatchObject({
      readOnly: true,
    });
    const run = await runPodSteps({
      core,
      namespace,
      pod: pod.metadata?.name ?? "",
      dir: join(dir.path, namespace),
    });
    const done = await complete(repo, "withcert");
    expect(done.status.reason).toBeNull();
    expect(done.status.session.succeeded).toBe("true");
    expect(done.status.layers[0]?.recap["node1"]).toMatchObject({ ok: 1, unreachable: 0 });
    expect(readFileSync(mark, "utf8")).toBe("over ssh\n");
    const keyBody = readFileSync(userKey, "utf8").split("\n")[1] ?? "?";
    expect([...run.logs.values()].join("\n")).not.toContain(keyBody);
    expect(
      execFileSync("git", ["-C", repo.path, "log", "-p", "cfs-status"], { encoding: "utf8" }),
    ).not.toContain(keyBody);
  }, 150_000);
});
