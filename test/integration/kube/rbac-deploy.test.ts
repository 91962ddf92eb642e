/**
 * deploy/ on the shared real kube-apiserver: every object kustomization.yaml lists is accepted as
 * written, and the ServiceAccount it creates can do what the controller does (Jobs, their pods and
 * logs, the leader Lease) and nothing more: no secrets, nothing in other namespaces, nothing
 * cluster-wide.
 */
import { readFileSync } from "node:fs";
import { request } from "node:https";
import { join } from "node:path";
import {
  ApiException,
  BatchV1Api,
  CoordinationV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1Job,
} from "@kubernetes/client-node";
import { pino } from "pino";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { LeaderElector, createKubeLeaseClient } from "../../../src/server/index.js";
import { kubeConfigFor, serviceAccountToken } from "../../helpers/kube-cluster.js";
import { waitFor } from "../../helpers/kube-objects.js";

const DEPLOY = join(import.meta.dirname, "../../../deploy");
const cluster = inject("kubeCluster");

interface Kustomization {
  namespace: string;
  resources: string[];
}

const kustomization = parseAllDocuments(
  readFileSync(join(DEPLOY, "kustomization.yaml"), "utf8"),
)[0]!.toJS() as Kustomization;
const namespace = kustomization.namespace;

/** Every object of every file kustomization.yaml lists, in order. */
function deployObjects(): Array<{ file: string; object: KubernetesObject }> {
  return kustomization.resources.flatMap((file) =>
    parseAllDocuments(readFileSync(join(DEPLOY, file), "utf8")).map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.join("; ")}`);
      return { file, object: doc.toJS() as KubernetesObject };
    }),
  );
}

function byKind(kind: string): KubernetesObject {
  const found = deployObjects().find((o) => o.object.kind === kind);
  if (!found) throw new Error(`deploy/ has no ${kind}`);
  return found.object;
}

/** The HTTP status of a failed call (0 when it succeeded). */
async function statusOf(call: () => Promise<unknown>): Promise<number> {
  try {
    await call();
    return 0;
  } catch (error) {
    if (error instanceof ApiException) return error.code;
    throw error;
  }
}

/** Opens a watch for at most a second; resolves when it ends without error, rejects with its error. */
function watchBriefly(kc: KubeConfig, path: string): Promise<string[]> {
  const seen: string[] = [];
  return new Promise((resolve, reject) => {
    new Watch(kc)
      .watch(
        path,
        { timeoutSeconds: 1 },
        (phase, object: KubernetesObject) => seen.push(`${phase} ${object.metadata?.name ?? ""}`),
        (error: unknown) =>
          error ? reject(error instanceof Error ? error : new Error(JSON.stringify(error))) : resolve(seen),
      )
      .catch(reject);
  });
}

/** The HTTP status of a GET as the bearer `token` (for calls client-node cannot parse, like a failed log read). */
function rawStatus(path: string, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}`,
      { ca: cluster.caPem, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

/** The collection path of a kind deploy/ uses (in `namespace` when namespaced). */
const COLLECTIONS: Record<string, (ns: string) => string> = {
  Namespace: () => "/api/v1/namespaces",
  ServiceAccount: (ns) => `/api/v1/namespaces/${ns}/serviceaccounts`,
  Secret: (ns) => `/api/v1/namespaces/${ns}/secrets`,
  ConfigMap: (ns) => `/api/v1/namespaces/${ns}/configmaps`,
  Service: (ns) => `/api/v1/namespaces/${ns}/services`,
  Role: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/roles`,
  RoleBinding: (ns) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/rolebindings`,
  Deployment: (ns) => `/apis/apps/v1/namespaces/${ns}/deployments`,
};

/**
 * Creates `object` under another name as a dry run with `fieldValidation=Strict` (client-node's
 * create cannot ask for it, and the server's default only warns): 201 when every field is one the
 * API server knows; 400 naming the unknown field otherwise.
 */
function strictDryRun(object: KubernetesObject): Promise<{ status: number; body: string }> {
  const path = COLLECTIONS[object.kind ?? ""]?.(namespace);
  if (path === undefined) throw new Error(`no collection path for ${object.kind}`);
  const renamed = { ...object, metadata: { ...object.metadata, name: `${object.metadata?.name}-strict` } };
  const payload = JSON.stringify(renamed);
  return new Promise((resolve, reject) => {
    const req = request(
      `${cluster.server}${path}?dryRun=All&fieldValidation=Strict`,
      {
        method: "POST",
        ca: cluster.caPem,
        headers: { authorization: `Bearer ${cluster.adminToken}`, "content-type": "application/json" },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

let account: KubeConfig;
let accountToken: string;

beforeAll(async () => {
  const admin = KubernetesObjectApi.makeApiClient(kubeConfigFor(cluster));
  for (const { file, object } of deployObjects()) {
    await admin.create(object).catch((error: unknown) => {
      throw new Error(
        `deploy/${file}: the API server refused ${object.kind} ${object.metadata?.name}: ${error instanceof ApiException ? `${error.code} ${JSON.stringify(error.body)}` : error instanceof Error ? error.message : "unknown error"}`,
      );
    });
  }
  const serviceAccount = byKind("ServiceAccount").metadata!.name!;
  accountToken = await serviceAccountToken(cluster, { name: serviceAccount, namespace });
  account = kubeConfigFor(cluster, accountToken);
});

describe("deploy/ on a real kube-apiserver", () => {
  it("lists files whose namespaced objects all sit in the kustomization's namespace", () => {
    const objects = deployObjects();
    expect(objects.map((o) => o.object.kind).sort()).toEqual(
      [
        "ConfigMap",
        "Deployment",
        "Namespace",
        "Role",
        "RoleBinding",
        "Secret",
        "Secret",
        "Secret",
        "Secret",
        "Service",
        "Service",
        "ServiceAccount",
      ].sort(),
    );
    for (const { file, object } of objects) {
      if (object.kind === "Namespace") expect(object.metadata?.name, file).toBe(namespace);
      else expect(object.metadata?.namespace, file).toBe(namespace);
    }
  });

  it("had every object accepted as written, and reads them back", async () => {
    const admin = KubernetesObjectApi.makeApiClient(kubeConfigFor(cluster));
    for (const { object } of deployObjects()) {
      const read = await admin.read({
        apiVersion: object.apiVersion!,
        kind: object.kind!,
        metadata: { name: object.metadata!.name!, ...(object.metadata?.namespace ? { namespace } : {}) },
      });
      expect(read.metadata?.uid).toBeTruthy();
    }
  });

  it("has no field the API server does not know (a strict dry run), which a misplaced field would fail", async () => {
    for (const { file, object } of deployObjects()) {
      const answer = await strictDryRun(object);
      expect(answer.status, `deploy/${file}: ${answer.body}`).toBe(201);
    }
    const deployment = byKind("Deployment") as KubernetesObject & { spec: { template: { spec: object } } };
    const template = deployment.spec.template;
    const misplaced = {
      ...deployment,
      spec: { ...deployment.spec, template: { ...template, spec: { ...template.spec, readOnly: true } } },
    };
    const refused = await strictDryRun(misplaced);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatch(/unknown field \\"spec\.template\.spec\.readOnly\\"/);
  });
});

describe("the deploy/ ServiceAccount's Role", () => {
  const probeJob: V1Job = {
    metadata: { name: "rbac-probe", namespace, labels: { "app.kubernetes.io/managed-by": "cfs-gitops" } },
    spec: {
      backoffLimit: 0,
      template: {
        spec: { restartPolicy: "Never", containers: [{ name: "c", image: "registry.local/probe:1" }] },
      },
    },
  };

  it("creates, reads, lists, watches and deletes Jobs in its namespace", async () => {
    const batch = account.makeApiClient(BatchV1Api);
    await batch.createNamespacedJob({ namespace, body: probeJob });
    expect((await batch.readNamespacedJob({ name: "rbac-probe", namespace })).metadata?.name).toBe(
      "rbac-probe",
    );
    expect((await batch.listNamespacedJob({ namespace })).items.map((j) => j.metadata?.name)).toContain(
      "rbac-probe",
    );
    expect(await watchBriefly(account, `/apis/batch/v1/namespaces/${namespace}/jobs`)).toContain(
      "ADDED rbac-probe",
    );

    const core = account.makeApiClient(CoreV1Api);
    const pod = await waitFor(
      async () =>
        (
          await core.listNamespacedPod({
            namespace,
            labelSelector: "batch.kubernetes.io/job-name=rbac-probe",
          })
        ).items[0],
      { what: "the probe Job's pod, listed as the ServiceAccount" },
    );
    const podName = pod.metadata!.name!;
    expect((await core.readNamespacedPod({ name: podName, namespace })).metadata?.name).toBe(podName);
    await watchBriefly(account, `/api/v1/namespaces/${namespace}/pods`);
    // No kubelet runs, so there is no log to read (client-node cannot parse the empty answer), but
    // the request passes authorization.
    const logPath = `/api/v1/namespaces/${namespace}/pods/${podName}/log?container=c`;
    const logStatus = await rawStatus(logPath, accountToken);
    expect(logStatus).not.toBe(403);
    // The same request without the Role is refused:
    const defaultToken = await serviceAccountToken(cluster, { name: "default", namespace });
    expect(await rawStatus(logPath, defaultToken)).toBe(403);

    await batch.deleteNamespacedJob({ name: "rbac-probe", namespace, propagationPolicy: "Foreground" });
  });

  it("gets, creates and updates its Lease, enough for leader election, but no other Lease", async () => {
    const api = account.makeApiClient(CoordinationV1Api);
    const log = pino({ level: "silent" });
    const elector = new LeaderElector({
      client: createKubeLeaseClient({ api, name: "cfs-gitops", namespace, timeoutMs: 2_000 }),
      identity: "rbac-test",
      log,
      leaseDurationMs: 2_000,
      renewDeadlineMs: 1_500,
      retryPeriodMs: 250,
    });
    const stop = new AbortController();
    let renewals = 0;
    const outcome = elector.run({ signal: stop.signal, onStartedLeading: () => (renewals += 1) });
    await waitFor(() => Promise.resolve(elector.isLeader ? true : undefined), {
      what: "the lease, as the ServiceAccount",
    });
    await new Promise((resolve) => setTimeout(resolve, 600)); // a couple of renewals (update)
    stop.abort();
    expect(await outcome).toBe("stopped");
    await elector.release();
    expect(
      (await api.readNamespacedLease({ name: "cfs-gitops", namespace })).spec?.holderIdentity,
    ).toBeUndefined();
    expect(renewals).toBe(1);
    expect(await statusOf(() => api.readNamespacedLease({ name: "someone-elses", namespace }))).toBe(403);
    expect(await statusOf(() => api.deleteNamespacedLease({ name: "cfs-gitops", namespace }))).toBe(403);
  });

  it("may not read secrets or configmaps, create pods, or act outside its namespace or cluster-wide", async () => {
    const core = account.makeApiClient(CoreV1Api);
    const batch = account.makeApiClient(BatchV1Api);
    const denied = {
      "list secrets here": () => core.listNamespacedSecret({ namespace }),
      "read the git Secret": () => core.readNamespacedSecret({ name: "cfs-gitops-git", namespace }),
      "list secrets cluster-wide": () => core.listSecretForAllNamespaces(),
      "read configmaps": () => core.listNamespacedConfigMap({ namespace }),
      "create pods": () =>
        core.createNamespacedPod({
          namespace,
          body: {
            metadata: { name: "x" },
            spec: { containers: [{ name: "c", image: "registry.local/x:1" }] },
          },
        }),
      "list jobs in another namespace": () => batch.listNamespacedJob({ namespace: "default" }),
      "list jobs cluster-wide": () => batch.listJobForAllNamespaces(),
      "list nodes": () => core.listNode(),
      "list namespaces": () => core.listNamespace(),
    };
    for (const [what, call] of Object.entries(denied)) expect(await statusOf(call), what).toBe(403);
  });
});
