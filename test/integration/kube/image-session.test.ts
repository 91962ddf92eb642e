/**
 * Image sessions on the kubernetes runner: the real Controller creates the Job, the test kubelet
 * runs each container's real `cfs-gitops step` command (real git, real ansible-playbook over real
 * SSH into each IMS job's jail), and the contract-checked test IMS stands in for Cray IMS.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api, type V1Pod } from "@kubernetes/client-node";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import type { JobLayout } from "../../../src/jobs/index.js";
import { MANAGED_SELECTOR } from "../../../src/runners/kubernetes/index.js";
import { ConfigRepo, configurationYaml, makeLayerRepo, tempDir } from "../../helpers/config-repo.js";
import { startImsWithJails, type ImsWithJails } from "../../helpers/ims-with-jails.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { startKubeController, type KubeController } from "../../helpers/kube-controller.js";
import {
  createNamespace,
  waitFor,
  waitForJobCondition,
  waitForJobDeleted,
  waitForJobPod,
} from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";
import { skipEachWithoutReferenceSpec } from "../../helpers/reference-spec.js";

skipEachWithoutReferenceSpec("ims");

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
const SSH_KEY_SECRET = "cfs-ims-ssh";
const TOKEN_SECRET = "cfs-ims-token";
const TOKEN = "ims-bearer-s3cret-token";

let dir: { path: string; cleanup: () => void };
let count = 0;
const open: Array<{ controller: KubeController; world: ImsWithJails }> = [];

beforeAll(() => {
  dir = tempDir("cfs-kube-image-");
  return () => dir.cleanup();
});

afterEach(async () => {
  for (const { controller, world } of open.splice(0)) {
    await controller.close();
    expect(world.ims.violations).toEqual([]);
    await world.close();
  }
});

const PLAYBOOK = `- hosts: cfs_image
  gather_facts: false
  tasks:
    - name: change the image over SSH
      ansible.builtin.raw: echo "customized in a Job" > /etc/motd
`;
const FAILING = `${PLAYBOOK}    - ansible.builtin.fail:
        msg: failing on purpose
`;

function imageSessionYaml(name: string, image: string): string {
  return `apiVersion: cfs-gitops/v1
kind: Session
name: ${name}
configuration:
  name: images
target:
  definition: image
  groups:
    - name: Compute
      members: ["${image}"]
`;
}

/** The SSH key pair Secret of image sessions, as a site makes it once (ssh-keygen, then a Secret). */
async function createKeySecret(namespace: string): Promise<void> {
  const key = join(dir.path, namespace, "id_ed25519");
  execFileSync("mkdir", ["-p", join(dir.path, namespace)]);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cfs-test", "-f", key]);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: SSH_KEY_SECRET },
      stringData: {
        id_ed25519: readFileSync(key, "utf8"),
        "id_ed25519.pub": readFileSync(`${key}.pub`, "utf8"),
      },
    },
  });
}

/** A namespace with the key and token Secrets, a test IMS (that demands the token) with one image, and a controller whose Jobs use both. */
async function setup(name: string, playbook: string, layout?: JobLayout) {
  count += 1;
  const namespace = `image-${count}-${name}`.slice(0, 63);
  await createNamespace(core, namespace);
  await createKeySecret(namespace);
  await core.createNamespacedSecret({
    namespace,
    body: { metadata: { name: TOKEN_SECRET }, stringData: { token: TOKEN } },
  });
  const world = await startImsWithJails({ scratch: join(dir.path, namespace), token: TOKEN });
  const image = world.ims.addImage("sles15-compute");
  const layer = makeLayerRepo(join(dir.path, namespace), `${name}-layer`, { "site.yml": playbook });
  const repo = new ConfigRepo(join(dir.path, namespace, "config"));
  repo.commit({
    "configurations/images.yaml": configurationYaml("images", [{ name: "base", url: layer }]),
    [`sessions/${name}.yaml`]: imageSessionYaml(name, image),
  });
  const controller = await startKubeController({
    cluster,
    namespace,
    repo: repo.path,
    runner: {
      options: {
        activeDeadlineSeconds: 3600,
        ...(layout === undefined ? {} : { layout }),
        imageService: {
          imsUrl: world.ims.url,
          sshKeySecret: SSH_KEY_SECRET,
          imsTokenSecret: TOKEN_SECRET,
          sshUser: userInfo().username,
          pollMs: 50,
          timeouts: { jobReadyMs: 20_000, sshReadyMs: 5_000, resultMs: 5_000 },
          cleanupSettleMs: 100,
        },
      },
    },
  });
  open.push({ controller, world });
  return { namespace, repo, world, image };
}

async function playKubelet(namespace: string, session: string, holdAt?: string) {
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
  const pod: V1Pod = await waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
  return runPodSteps({
    core,
    namespace,
    pod: pod.metadata?.name ?? "",
    dir: join(dir.path, namespace, "pod"),
    ...(holdAt === undefined ? {} : { holdAt }),
  });
}

/** Plays the kubelet for a Job's pod (the cleanup Job's): runs its real command. */
async function playJobPod(namespace: string, job: string) {
  const pod = await waitForJobPod(core, { namespace, name: job });
  return runPodSteps({ core, namespace, pod: pod.metadata?.name ?? "", dir: join(dir.path, namespace, job) });
}

function recordOf(repo: ConfigRepo, name: string): SessionRecord | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  return text === null ? null : (JSON.parse(text) as SessionRecord);
}

function completeRecord(repo: ConfigRepo, name: string): Promise<SessionRecord> {
  return waitFor(
    () => {
      const text = repo.statusFile(`sessions/${name}.json`);
      const record = text === null ? null : (JSON.parse(text) as SessionRecord);
      return Promise.resolve(record?.status.session.status === "complete" ? record : undefined);
    },
    { what: `${name}: complete`, timeoutMs: 60_000 },
  );
}

describe("image sessions on the kubernetes runner", () => {
  it("customizes the image in its IMS jail and commits the result image as an artifact", async () => {
    const { namespace, repo, world, image } = await setup("img-ok", PLAYBOOK);

    const run = await playKubelet(namespace, "img-ok");

    expect(run.logs.get("teardown")).toMatch(/image [0-9a-f-]{36} \(IMS job [0-9a-f-]{36}\): result /);
    const done = await completeRecord(repo, "img-ok");
    expect(done.status.session).toMatchObject({ succeeded: "true" });
    const jobId = done.status.session.ims_job ?? "";
    expect(done.status.session.ims_jobs).toEqual([jobId]);
    const resultId = done.status.artifacts[0]?.result_id ?? "";
    expect(done.status.artifacts).toEqual([
      { image_id: image, result_id: resultId, type: "ims_customized_image" },
    ]);
    expect(world.ims.images.get(resultId)?.name).toBe("sles15-compute_cfs_img-ok");
    const jail = world.jailDirs.get(jobId) ?? "";
    expect(readFileSync(join(jail, "etc/motd"), "utf8")).toBe("customized in a Job\n");
    expect(existsSync(join(jail, "tmp/complete"))).toBe(true);
    expect(done.status.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:succeeded",
      "inventory:succeeded",
      "ansible-0:succeeded",
      "teardown:succeeded",
    ]);
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
    expect([...run.logs.values()].join("\n")).not.toContain(TOKEN);
    expect(JSON.stringify(done)).not.toContain(TOKEN);
  });

  it("customizes the image in the cfs layout too: git-clone, inventory, ansible, then teardown", async () => {
    const { namespace, repo, world, image } = await setup("img-cfs", PLAYBOOK, "cfs");
    const run = await playKubelet(namespace, "img-cfs");
    expect([...run.logs.keys()]).toEqual(["git-clone", "inventory", "ansible", "teardown"]);
    expect(run.logs.get("ansible")).toContain("##cfs-gitops## begin ansible-0");
    const done = await completeRecord(repo, "img-cfs");
    expect(done.status.session).toMatchObject({ succeeded: "true" });
    expect(done.status.artifacts.map((a) => a.image_id)).toEqual([image]);
    const jail = world.jailDirs.get(done.status.session.ims_job ?? "") ?? "";
    expect(readFileSync(join(jail, "etc/motd"), "utf8")).toBe("customized in a Job\n");
    expect(done.status.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:succeeded",
      "inventory:succeeded",
      "ansible-0:succeeded",
      "teardown:succeeded",
    ]);
    expect(world.ims.jobs.size).toBe(0);
  });

  it("a failing layer still tears down: IMS is told failed and no artifact is recorded", async () => {
    const { namespace, repo, world, image } = await setup("img-fail", FAILING);

    const run = await playKubelet(namespace, "img-fail");

    expect(run.logs.get("teardown")).toContain("a layer failed; no result is kept");
    const done = await completeRecord(repo, "img-fail");
    expect(done.status.session.succeeded).toBe("false");
    expect(done.status.reason).toBe(`layer 0 (site.yml) failed on 1 host: ${image}`);
    expect(done.status.artifacts).toEqual([]);
    const jobId = done.status.session.ims_job ?? "";
    const jail = world.jailDirs.get(jobId) ?? "";
    expect(existsSync(join(jail, "tmp/failed"))).toBe(true);
    expect(existsSync(join(jail, "tmp/complete"))).toBe(false);
    expect(done.status.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:succeeded",
      "inventory:succeeded",
      "ansible-0:failed",
      "teardown:succeeded",
    ]);
    expect(world.ims.images.size).toBe(1);
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
  });

  it("deleting a session mid-run removes its IMS jobs and key through a cleanup Job", async () => {
    const { namespace, repo, world } = await setup("img-del", PLAYBOOK);
    await playKubelet(namespace, "img-del", "ansible-0");
    expect(world.ims.jobs.size).toBe(1);
    expect(world.ims.publicKeys.size).toBe(1);
    const staged = await waitFor(
      () => {
        const record = recordOf(repo, "img-del");
        const inventory = record?.status.steps.find((s) => s.name === "inventory");
        return Promise.resolve(inventory?.status === "succeeded" ? record : undefined);
      },
      { what: "img-del: inventory recorded", timeoutMs: 30_000 },
    );
    const job = staged?.status.session.job ?? "";

    repo.commit({ "sessions/img-del.yaml": null }, "delete img-del");

    const cleanup = `${job}-cleanup`;
    const run = await playJobPod(namespace, cleanup);
    const log = run.logs.get("ims-cleanup") ?? "";
    expect(log).toMatch(/deleted IMS job [0-9a-f-]{36}/);
    expect(log).toMatch(/deleted IMS public key [0-9a-f-]{36}/);
    expect(log).not.toContain(TOKEN);
    expect(world.ims.jobs.size).toBe(0);
    expect(world.ims.publicKeys.size).toBe(0);
    await waitForJobCondition(batch, { namespace, name: cleanup, type: "Complete" });
    await waitForJobDeleted(batch, { namespace, name: job });
    await waitFor(() => Promise.resolve(recordOf(repo, "img-del") === null ? true : undefined), {
      what: "img-del: record deleted",
    });
    const jobs = await batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR });
    expect(jobs.items.map((j) => j.metadata?.name)).toEqual([cleanup]);
    expect(recordOf(repo, "img-del")).toBeNull();
  });
});
