/**
 * Sources on the kubernetes runner, with the real kube-apiserver and Job controller: a Job built
 * for a session whose layer names a source mounts that source's Secret into the clone container
 * only, and the test plays the kubelet (the Secret's files land in the pod's volume; each
 * container's real step code runs with real git and ansible-playbook). The clone reaches a real git
 * HTTP server that wants the Secret's basic-auth credentials; another host's clone and the ansible
 * container never get them.
 */
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { RunSpec, SourceManifest } from "../../../src/api/index.js";
import {
  buildInventoryConfigMap,
  buildJob,
  decodeStepMessage,
  type JobLayout,
} from "../../../src/jobs/index.js";
import { layer, makeLayerRepo, runSpec, tempDir, writeFilePlaybook } from "../../helpers/ansible-fixtures.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { createNamespace, waitForJobPod } from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";

const cluster = inject("kubeCluster");
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);

const AUTH = { username: "source-user", password: "S0urce-Pa55word-kube" };

let root: string;
let guarded: GitHttpServer;
let open: GitHttpServer;
let count = 0;

beforeAll(async () => {
  root = tempDir("cfs-kube-sources-");
  const guardedRoot = join(root, "guarded");
  const openRoot = join(root, "open");
  makeLayerRepo(guardedRoot, "site", { "site.yml": writeFilePlaybook(join(root, "site-ran"), "site") });
  makeLayerRepo(openRoot, "public", { "site.yml": writeFilePlaybook(join(root, "public-ran"), "public") });
  guarded = await startGitHttpServer({ root: guardedRoot, auth: AUTH });
  open = await startGitHttpServer({ root: openRoot });
});

afterAll(async () => {
  await guarded?.close();
  await open?.close();
});

function source(): SourceManifest {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Source",
    name: "site-vcs",
    clone_url: guarded.url("site.git"),
    credentials: { authentication_method: "password", secret_name: "site-creds" },
  };
}

/** Layer 0 through the source (guarded server), layer 1 a plain clone_url on the open server. */
function spec(name: string): RunSpec {
  return runSpec(
    name,
    [
      layer(0, { source: "site-vcs", clone_url: guarded.url("site.git"), playbook: "site.yml" }),
      layer(1, { clone_url: open.url("public.git"), playbook: "site.yml" }),
    ],
    { sources: { "site-vcs": source() } },
  );
}

/** A namespace (with the source's Secret unless `withSecret` is false), the Job, its pod run to the end. */
async function run(name: string, layout: JobLayout, withSecret = true) {
  count += 1;
  const namespace = `sources-${count}-${name}`;
  await createNamespace(core, namespace);
  if (withSecret) {
    await core.createNamespacedSecret({
      namespace,
      body: { metadata: { name: "site-creds" }, type: "kubernetes.io/basic-auth", stringData: AUTH },
    });
  }
  const runSpecOf = spec(name);
  const body = buildJob({
    spec: runSpecOf,
    namespace,
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: null, activeDeadlineSeconds: 3600, layout },
  });
  const job = await batch.createNamespacedJob({ namespace, body });
  const components = gzipSync(JSON.stringify(runSpecOf.components)).toString("base64");
  await core.createNamespacedConfigMap({
    namespace,
    body: buildInventoryConfigMap({ job, componentsGzipBase64: components }),
  });
  const pod = await waitForJobPod(core, { namespace, name: job.metadata?.name ?? "" });
  guarded.reset();
  open.reset();
  const done = await runPodSteps({
    core,
    namespace,
    pod: pod.metadata?.name ?? "",
    dir: join(root, namespace),
  });
  return { pod, done };
}

function messageOf(pod: Awaited<ReturnType<typeof run>>["done"]["pod"], container: string) {
  const all = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  return decodeStepMessage(all.find((s) => s.name === container)?.state?.terminated?.message ?? "");
}

describe("a source's Secret on the kubernetes runner", () => {
  it("is what the source's clone authenticates with, and nothing else gets it (cfs layout)", async () => {
    const { pod, done } = await run("cfs", "cfs");
    const mounted = (name: string) =>
      [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
        .find((c) => c.name === name)
        ?.volumeMounts?.some((m) => m.mountPath === "/cfs/sources/secrets/site-creds");
    expect([mounted("git-clone"), mounted("inventory"), mounted("ansible")]).toEqual([true, false, false]);
    expect(messageOf(done.pod, "git-clone")?.parts.map((p) => [p.step, p.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["git-clone-1", "succeeded"],
    ]);
    expect(messageOf(done.pod, "ansible")?.status).toBe("succeeded");
    const basic = `Basic ${Buffer.from(`${AUTH.username}:${AUTH.password}`).toString("base64")}`;
    expect(guarded.requests.some((r) => r.status === 200 && r.authorization === basic)).toBe(true);
    expect(open.requests.length).toBeGreaterThan(0);
    expect(open.requests.every((r) => r.authorization === null)).toBe(true);
    const logs = [...done.logs.values()].join("\n");
    expect(logs).not.toContain(AUTH.password);
    expect(logs).not.toContain(basic.slice("Basic ".length));
  }, 120_000);

  it("reaches the source's clone container only in the per-layer layout", async () => {
    const { pod, done } = await run("perlayer", "per-layer");
    const withMount = [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])]
      .filter((c) => c.volumeMounts?.some((m) => m.mountPath.startsWith("/cfs/sources/")))
      .map((c) => c.name);
    expect(withMount).toEqual(["git-clone-0"]);
    expect(messageOf(done.pod, "report")?.status).toBe("succeeded");
    expect(open.requests.every((r) => r.authorization === null)).toBe(true);
  }, 120_000);

  it("fails the clone naming the Secret to create when it is missing, and asks the server nothing", async () => {
    const { done } = await run("nosecret", "cfs", false);
    const clone = messageOf(done.pod, "git-clone");
    expect(clone?.parts[0]?.status).toBe("failed");
    expect(clone?.parts[0]?.reason).toBe(
      "git-clone-0: source site-vcs: its Secret site-creds (credentials.secret_name; keys username and password, both non-empty) is missing in the Job's namespace; create it there",
    );
    expect(guarded.requests).toEqual([]);
    expect(messageOf(done.pod, "ansible")?.status).toBe("failed");
  }, 120_000);
});
