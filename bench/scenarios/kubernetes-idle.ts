/**
 * The kubernetes runner with 10,000 Jobs in the test API server that never change: how long its
 * informers take to list them and what they hold, and what observe() costs on a pass with nothing
 * new, beside what it did before it kept observations (every Job's run spec annotation parsed and
 * its observation made again, every pass). The Jobs are the big repository's sessions, built by
 * buildJob and created suspended (no pods: the suite has no kubelet to run 10,000 of them).
 */
import { BatchV1Api, CoreV1Api, type V1Job } from "@kubernetes/client-node";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { pino } from "pino";
import { buildJob, observeJob } from "../../src/jobs/index.js";
import {
  createKubernetesRunner,
  KeepAliveClients,
  MANAGED_SELECTOR,
} from "../../src/runners/kubernetes/index.js";
import { mapLimit } from "../../src/runners/map-limit.js";
import type { KubeCluster } from "../../test/helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../test/helpers/kube-controller.js";
import { createNamespace } from "../../test/helpers/kube-objects.js";
import type { BenchContext } from "../lib/context.js";
import { blobId, runSpecOf, sessionManifest, sessionYaml, type RepoShape } from "../lib/generate.js";
import { count, measured, type Row } from "../lib/report.js";
import { measureCosts } from "./poll.js";

const JOB_OPTIONS = { activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: null };
const MIB = 1024 * 1024;

/** Rows: a pass's observe() with 10,000 Jobs; the informers' list and memory. */
export async function kubernetesIdleRows(ctx: BenchContext, cluster: KubeCluster): Promise<Row[]> {
  const n = ctx.options.sessions;
  const shape: RepoShape = { sessions: n, configurations: ctx.options.configurations };
  const namespace = "bench-idle";
  const kubeConfig = cluster.kubeConfig();
  await createNamespace(kubeConfig.makeApiClient(CoreV1Api), namespace);
  const clients = new KeepAliveClients(kubeConfig);
  const batch = clients.makeApiClient(BatchV1Api);
  ctx.progress(`kubernetes: creating ${count(n)} suspended Jobs`);
  const createdIn = await createSuspendedJobs({ batch, namespace, shape });
  ctx.progress(`kubernetes: created in ${Math.round(createdIn / 1000)} s`);
  const heapBefore = heapAfterGc();
  const started = performance.now();
  const runner = await createKubernetesRunner({
    kubeConfig,
    namespace,
    images: TEST_IMAGES,
    options: JOB_OPTIONS,
    log: pino({ level: "silent" }),
  });
  const syncMs = performance.now() - started;
  try {
    const first = await runner.observe();
    if (first.size !== n) throw new Error(`observed ${first.size} runs, not ${n}`);
    const heapHeld = heapAfterGc() - heapBefore;
    const runs = ctx.runs(20);
    const kept = await measureCosts(runs, () => runner.observe());
    const listHeld = await heapOfFullList({ batch, namespace });
    const every = await measureCosts(runs, () => Promise.resolve(observeEvery(listHeld.items)));
    const perJob = (bytes: number): string => `${(bytes / n / 1024).toFixed(1)} KiB a Job`;
    return [
      {
        scenario: `kubernetes runner, ${count(n)} Jobs in the test API server that do not change: observe() of a pass (CPU)`,
        target: "< 20 ms of work",
        limit: 20,
        figure: measured(kept.cpu),
        baseline: {
          label: "what observe() did before: every Job's observation made again (CPU)",
          figure: measured(every.cpu),
        },
        note: `The informers hold the Jobs; observations are kept by Job and pod uid and resourceVersion, so a pass walks ${count(n)} kept observations. Listing the ${count(n)} Jobs at the runner's start (both informers synced): ${Math.round(syncMs)} ms. Creating the Jobs, 16 at a time with no client limit, over keep-alive connections: ${(createdIn / 1000).toFixed(1)} s.`,
      },
      {
        scenario: `kubernetes runner, ${count(n)} Jobs: the runner's heap after its first pass, garbage collected`,
        target: "—",
        limit: null,
        figure: measured([heapHeld / MIB], "MiB"),
        baseline: {
          label: "the same Jobs as the list answers them (what the informer kept before), no observations",
          figure: measured([listHeld.bytes / MIB], "MiB"),
        },
        note: `${perJob(heapHeld)} (the slim Jobs the informer keeps: no managedFields, the pod template's containers by name only, and one kept observation each) against ${perJob(listHeld.bytes)} for the Jobs as listed. One measurement each (heap used after a full collection, before and after).`,
      },
    ];
  } finally {
    await runner.close();
    clients.close();
  }
}

/** The heap a full list answer of the namespace's Jobs holds (what the informer cached before it kept slim Jobs). */
async function heapOfFullList(input: {
  batch: BatchV1Api;
  namespace: string;
}): Promise<{ items: V1Job[]; bytes: number }> {
  const before = heapAfterGc();
  const { items } = await input.batch.listNamespacedJob({
    namespace: input.namespace,
    labelSelector: MANAGED_SELECTOR,
  });
  return { items, bytes: heapAfterGc() - before };
}

/** Creates the Jobs of sessions 0 .. n - 1, suspended; ms taken. */
async function createSuspendedJobs(input: {
  batch: BatchV1Api;
  namespace: string;
  shape: RepoShape;
}): Promise<number> {
  const { batch, namespace, shape } = input;
  const indices = Array.from({ length: shape.sessions }, (_, i) => i);
  const started = performance.now();
  await mapLimit({
    items: indices,
    limit: 16,
    work: async (i) => {
      const spec = runSpecOf(sessionManifest(i, shape), {
        blob: blobId(Buffer.from(sessionYaml(i, shape))),
        sourceCommit: "0".repeat(40),
      });
      const body = buildJob({ spec, namespace, images: TEST_IMAGES, options: JOB_OPTIONS });
      body.spec = { ...body.spec, suspend: true, template: body.spec?.template ?? {} };
      await batch.createNamespacedJob({ namespace, body });
    },
  });
  return performance.now() - started;
}

function observeEvery(jobs: readonly V1Job[]): number {
  let made = 0;
  for (const job of jobs) if (observeJob({ job, pod: null }) !== null) made++;
  return made;
}

/** Heap used after a full collection. */
function heapAfterGc(): number {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
  return process.memoryUsage().heapUsed;
}
