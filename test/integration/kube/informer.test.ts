/**
 * The runner's informer, with the runner's JsonWatch, against the real kube-apiserver: relist on
 * 410 Gone, carry on after the server ends a watch, and restart a watch that goes quiet (a
 * connection that died silently).
 */
import { BatchV1Api, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, inject, it } from "vitest";
import { buildJob } from "../../../src/jobs/index.js";
import {
  Informer,
  JsonWatch,
  MANAGED_SELECTOR,
  type ListAnswer,
  type WatchClient,
} from "../../../src/runners/kubernetes/index.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../helpers/kube-controller.js";
import { createNamespace, waitFor } from "../../helpers/kube-objects.js";
import { runSpec } from "../../helpers/kube-run-specs.js";

const cluster = inject("kubeCluster");
const kubeConfig = kubeConfigFor(cluster);
const batch = kubeConfig.makeApiClient(BatchV1Api);
const core = kubeConfig.makeApiClient(CoreV1Api);
const log = pino({ level: "silent" });

let count = 0;
const informers: Array<Informer<V1Job>> = [];

afterEach(async () => {
  for (const informer of informers.splice(0)) await informer.stop();
});

async function namespace(name: string): Promise<string> {
  count += 1;
  const ns = `informer-${count}-${name}`;
  await createNamespace(core, ns);
  return ns;
}

function createJob(ns: string, session: string): Promise<V1Job> {
  const body = buildJob({
    spec: runSpec({ name: session }),
    namespace: ns,
    images: TEST_IMAGES,
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 60 },
  });
  return batch.createNamespacedJob({ namespace: ns, body });
}

/** An informer on the namespace's Jobs, with what it saw. */
function jobInformer(input: {
  ns: string;
  list?: () => Promise<ListAnswer<V1Job>>;
  watch?: WatchClient;
  watchTimeoutSeconds?: number;
  quietMs?: number;
}) {
  const events: string[] = [];
  const informer = new Informer<V1Job>({
    name: "jobs",
    path: `/apis/batch/v1/namespaces/${input.ns}/jobs`,
    labelSelector: MANAGED_SELECTOR,
    list:
      input.list ?? (() => batch.listNamespacedJob({ namespace: input.ns, labelSelector: MANAGED_SELECTOR })),
    watch: input.watch ?? new JsonWatch({ kubeConfig }),
    log,
    onEvent: (event, job) => events.push(`${event} ${job.metadata?.name ?? ""}`),
    minRetryMs: 50,
    maxRetryMs: 200,
    ...(input.watchTimeoutSeconds === undefined ? {} : { watchTimeoutSeconds: input.watchTimeoutSeconds }),
    ...(input.quietMs === undefined ? {} : { quietMs: input.quietMs }),
  });
  informers.push(informer);
  return { informer, events };
}

/** Compacts etcd up to now, so a watch from an older resourceVersion gets 410 Gone (the Job watch cache is off). */
async function compactEtcd(): Promise<void> {
  const list = await core.listNamespace();
  const response = await fetch(`${cluster.etcdUrl}/v3/kv/compaction`, {
    method: "POST",
    body: JSON.stringify({ revision: list.metadata?.resourceVersion, physical: true }),
  });
  expect(response.status).toBe(200);
}

/** A list whose first answer claims a resourceVersion etcd has compacted away. */
function staleFirstList(ns: string, before?: (lists: number) => Promise<void>) {
  let lists = 0;
  return async (): Promise<ListAnswer<V1Job>> => {
    lists += 1;
    await before?.(lists);
    const answer = await batch.listNamespacedJob({ namespace: ns, labelSelector: MANAGED_SELECTOR });
    if (lists > 1) return answer;
    await compactEtcd();
    return { ...answer, metadata: { ...answer.metadata, resourceVersion: "1" } };
  };
}

function seen(informer: Informer<V1Job>, name: string) {
  return waitFor(() => Promise.resolve(informer.get(name) !== undefined ? true : undefined), {
    what: `the informer to see ${name}`,
    timeoutMs: 20_000,
  });
}

describe("Informer", () => {
  it("relists when the API server answers 410 Gone to a too old resourceVersion", async () => {
    const ns = await namespace("gone");
    await createJob(ns, "before");
    const { informer, events } = jobInformer({ ns, list: staleFirstList(ns) });
    await informer.start();
    const after = await createJob(ns, "after");
    await seen(informer, after.metadata?.name ?? "");
    expect(informer.lists).toBeGreaterThanOrEqual(2);
    expect(events.filter((e) => e.startsWith("add "))).toHaveLength(2);
  });

  it("carries on after the server ends each watch", async () => {
    const ns = await namespace("timeout");
    const { informer } = jobInformer({ ns, watchTimeoutSeconds: 1 });
    await informer.start();
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const job = await createJob(ns, "late");
    await seen(informer, job.metadata?.name ?? "");
    expect(informer.lists).toBe(1);
  });

  it("restarts a watch that goes quiet, without relisting", async () => {
    const ns = await namespace("quiet");
    const real = new JsonWatch({ kubeConfig });
    let watches = 0;
    const watch: WatchClient = {
      watch: (path, query, callback, done) => {
        watches += 1;
        // The first connection dies silently: no events, no end.
        if (watches === 1) return Promise.resolve(new AbortController());
        return real.watch(path, query, callback, done);
      },
    };
    const { informer } = jobInformer({ ns, watch, quietMs: 500 });
    await informer.start();
    const job = await createJob(ns, "quiet");
    await seen(informer, job.metadata?.name ?? "");
    expect(watches).toBeGreaterThanOrEqual(2);
    expect(informer.lists).toBe(1);
  });

  it("reports objects deleted while it was not watching when it relists", async () => {
    const ns = await namespace("deleted");
    const job = await createJob(ns, "doomed");
    const name = job.metadata?.name ?? "";
    const { informer, events } = jobInformer({
      ns,
      list: staleFirstList(ns, async (lists) => {
        if (lists === 2)
          await batch.deleteNamespacedJob({ name, namespace: ns, propagationPolicy: "Background" });
      }),
    });
    await informer.start();
    await waitFor(() => Promise.resolve(events.includes(`delete ${name}`) ? true : undefined), {
      what: "the delete event",
    });
    expect(informer.get(name)).toBeUndefined();
  });
});
