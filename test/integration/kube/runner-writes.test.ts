/**
 * How the kubernetes runner talks to the real kube-apiserver at scale: parallel creates spaced by
 * the client-side limit (`--kube-qps`, `--kube-burst`) over kept connections, and informers that
 * keep slim Jobs and pods (no managedFields, no container settings).
 */
import { BatchV1Api, CoreV1Api, Watch, type V1Job, type V1Pod } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, inject, it } from "vitest";
import { buildJob, observeJob, slimJob, slimPod } from "../../../src/jobs/index.js";
import {
  createKubernetesRunner,
  Informer,
  MANAGED_SELECTOR,
  type KubernetesRunnerOptions,
} from "../../../src/runners/kubernetes/index.js";
import { tempDir } from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../helpers/kube-controller.js";
import { startKubeFaultProxy } from "../../helpers/kube-fault-proxy.js";
import { createNamespace, waitFor } from "../../helpers/kube-objects.js";
import { runSpec } from "../../helpers/kube-run-specs.js";

const cluster = inject("kubeCluster");
const kubeConfig = kubeConfigFor(cluster);
const core = kubeConfig.makeApiClient(CoreV1Api);
const batch = kubeConfig.makeApiClient(BatchV1Api);
const log = pino({ level: "silent" });
const JOB_OPTIONS = { activeDeadlineSeconds: 600, ttlSecondsAfterFinished: null };

let count = 0;
const closers: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function namespace(name: string): Promise<string> {
  count += 1;
  const ns = `writes-${count}-${name}`;
  await createNamespace(core, ns);
  return ns;
}

/** A runner that reaches the API server through a proxy counting connections and requests. */
async function runnerThroughProxy(input: { ns: string; rate: KubernetesRunnerOptions["rate"] }) {
  const dir = tempDir("cfs-kube-writes-");
  closers.push(() => Promise.resolve(dir.cleanup()));
  const proxy = await startKubeFaultProxy({
    target: cluster.server,
    targetCaPem: cluster.caPem,
    dir: dir.path,
    random: () => 0.5,
  });
  closers.push(() => proxy.close());
  const runner = await createKubernetesRunner({
    kubeConfig: kubeConfigFor({ server: proxy.server, caPem: proxy.caPem, adminToken: cluster.adminToken }),
    namespace: input.ns,
    images: TEST_IMAGES,
    options: JOB_OPTIONS,
    log,
    ...(input.rate === undefined ? {} : { rate: input.rate }),
  });
  closers.unshift(() => runner.close());
  // The lists of Jobs and pods, then their two watches: counted before a test counts its creates.
  await waitFor(() => Promise.resolve(proxy.stats().requests >= 4 ? true : undefined), {
    what: "the informers' watches",
  });
  return { runner, proxy };
}

describe("kubernetes runner writes", () => {
  it("spaces parallel creates by qps and burst, over kept connections", async () => {
    const ns = await namespace("rate");
    const { runner, proxy } = await runnerThroughProxy({ ns, rate: { qps: 5, burst: 1 } });
    const specs = Array.from({ length: 6 }, (_, i) => runSpec({ name: `rate-${i}` }));
    const before = proxy.stats();
    const started = performance.now();
    await Promise.all(specs.map((spec) => runner.start(spec)));
    const elapsed = performance.now() - started;
    const after = proxy.stats();
    // Burst 1: the first create goes at once, each of the other 5 waits for a token (5 a second).
    // A lower bound only: a loaded machine makes it longer, never shorter.
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect(after.requests - before.requests).toBe(6);
    // A connection per create before keep-alive (6); kept connections now, one or two.
    expect(after.connections - before.connections).toBeLessThanOrEqual(2);
    const { items } = await batch.listNamespacedJob({ namespace: ns, labelSelector: MANAGED_SELECTOR });
    expect(items.map((job) => job.metadata?.name).sort()).toEqual(specs.map((spec) => spec.job).sort());
  });

  it("sends creates in parallel when the limit allows, and reuses their connections", async () => {
    const ns = await namespace("burst");
    const { runner, proxy } = await runnerThroughProxy({ ns, rate: { qps: 1000, burst: 1000 } });
    const round = async (prefix: string) => {
      const specs = Array.from({ length: 12 }, (_, i) => runSpec({ name: `${prefix}-${i}` }));
      const before = proxy.stats();
      await Promise.all(specs.map((spec) => runner.start(spec)));
      const after = proxy.stats();
      expect(after.requests - before.requests).toBe(12);
      return after.connections - before.connections;
    };
    await round("first");
    expect(proxy.stats().maxInFlight).toBeGreaterThan(1);
    // The second round finds the first round's connections kept (a new one per create before).
    expect(await round("second")).toBeLessThanOrEqual(6);
    const { items } = await batch.listNamespacedJob({ namespace: ns, labelSelector: MANAGED_SELECTOR });
    expect(items).toHaveLength(24);
  });
});

describe("informers with the runner's transforms", () => {
  it("keep Jobs and pods without managedFields or container settings, listed or watched", async () => {
    const ns = await namespace("slim");
    const listed = await createJob(ns, "listed");
    const jobs = informer<V1Job>({ ns, kind: "jobs", transform: slimJob });
    const pods = informer<V1Pod>({ ns, kind: "pods", transform: slimPod });
    await Promise.all([jobs.start(), pods.start()]);
    const watched = await createJob(ns, "watched");
    for (const created of [listed, watched]) {
      const name = created.metadata?.name ?? "";
      const cached = await waitFor(() => Promise.resolve(jobs.get(name)), {
        what: `Job ${name} in the cache`,
      });
      const full = await batch.readNamespacedJob({ name, namespace: ns });
      expect(full.metadata?.managedFields?.length).toBeGreaterThan(0);
      expect(cached.metadata?.managedFields).toBeUndefined();
      const containers = cached.spec?.template.spec?.initContainers ?? [];
      expect(containers.length).toBeGreaterThan(0);
      for (const container of containers) expect(Object.keys(container)).toEqual(["name"]);
      const pod = await waitFor(
        () => Promise.resolve(pods.list().find((p) => p.metadata?.ownerReferences?.[0]?.name === name)),
        { what: `the pod of ${name} in the cache` },
      );
      expect(pod.metadata?.managedFields).toBeUndefined();
      expect(pod.spec).toBeUndefined();
      const fresh = await batch.readNamespacedJob({ name, namespace: ns });
      if (fresh.metadata?.resourceVersion === cached.metadata?.resourceVersion)
        expect(observeJob({ job: cached, pod })).toEqual(observeJob({ job: fresh, pod }));
    }
  });
});

describe("informer lists", () => {
  it("come in pages, one snapshot: every Job cached, the watch going on from the last page", async () => {
    const ns = await namespace("pages");
    for (let i = 0; i < 5; i++) await createJob(ns, `page-${i}`);
    const pages: Array<string | undefined> = [];
    const jobs = new Informer<V1Job>({
      name: "jobs",
      path: `/apis/batch/v1/namespaces/${ns}/jobs`,
      labelSelector: MANAGED_SELECTOR,
      list: (page) => {
        pages.push(page.continue);
        return batch.listNamespacedJob({
          namespace: ns,
          labelSelector: MANAGED_SELECTOR,
          limit: page.limit,
          ...(page.continue === undefined ? {} : { _continue: page.continue }),
        });
      },
      pageSize: 2,
      watch: new Watch(kubeConfig),
      log,
      onEvent: () => undefined,
    });
    closers.push(() => jobs.stop());
    await jobs.start();
    expect(pages).toHaveLength(3);
    expect(pages[0]).toBeUndefined();
    expect(jobs.list()).toHaveLength(5);
    await createJob(ns, "after");
    await waitFor(() => Promise.resolve(jobs.list().length === 6 ? true : undefined), {
      what: "the sixth Job",
    });
  });
});

function createJob(ns: string, session: string): Promise<V1Job> {
  const body = buildJob({
    spec: runSpec({ name: session }),
    namespace: ns,
    images: TEST_IMAGES,
    options: JOB_OPTIONS,
  });
  return batch.createNamespacedJob({ namespace: ns, body });
}

function informer<T extends V1Job | V1Pod>(input: {
  ns: string;
  kind: "jobs" | "pods";
  transform: (o: T) => T;
}) {
  const path =
    input.kind === "jobs"
      ? `/apis/batch/v1/namespaces/${input.ns}/jobs`
      : `/api/v1/namespaces/${input.ns}/pods`;
  const list =
    input.kind === "jobs"
      ? () => batch.listNamespacedJob({ namespace: input.ns, labelSelector: MANAGED_SELECTOR })
      : () => core.listNamespacedPod({ namespace: input.ns, labelSelector: MANAGED_SELECTOR });
  const created = new Informer<T>({
    name: input.kind,
    path,
    labelSelector: MANAGED_SELECTOR,
    list: list as () => Promise<{ items: T[] }>,
    watch: new Watch(kubeConfig),
    log,
    onEvent: () => undefined,
    transform: input.transform,
  });
  closers.push(() => created.stop());
  return created;
}
