/**
 * 1,000 new sessions to 1,000 Jobs created on a real kube-apiserver (the test suite's control
 * plane: etcd, kube-apiserver and kube-controller-manager from test/kube/bin, no kubelet). The
 * controller runs with the kubernetes runner; the figure ends when the last create returned.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { Controller } from "../../src/controller/index.js";
import { createLocalSource } from "../../src/git/local-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import { buildJob } from "../../src/jobs/index.js";
import {
  createKubernetesRunner,
  DEFAULT_KUBE_RATE,
  MANAGED_SELECTOR,
} from "../../src/runners/kubernetes/index.js";
import type { TokenRate } from "../../src/runners/kubernetes/token-bucket.js";
import { startKubeCluster, type KubeCluster } from "../../test/helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../test/helpers/kube-controller.js";
import { createNamespace } from "../../test/helpers/kube-objects.js";
import { createBenchRepo, type BenchRepo } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { blobId, sessionManifest, sessionYaml, runSpecOf } from "../lib/generate.js";
import { count, measured, notMeasured, type Row } from "../lib/report.js";
import { StartTiming } from "../lib/start-timing.js";
import { kubernetesIdleRows } from "./kubernetes-idle.js";

const SESSIONS = 1000;
/** A limit the API server reaches first: what parallel creates buy on this control plane. */
const UNLIMITED: TokenRate = { qps: 100_000, burst: 100_000 };
const JOB_OPTIONS = { activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: null };

/** Rows: 1,000 sessions to 1,000 Jobs (default limit, no limit), then 10,000 Jobs that do not change. */
export async function kubernetesRows(ctx: BenchContext): Promise<Row[]> {
  const binDir = join(ctx.options.root, "test", "kube", "bin");
  if (!existsSync(join(binDir, "kube-apiserver"))) {
    const figure = notMeasured(`no kube-apiserver in ${binDir}: build it with test/kube/build.sh`);
    return [createRow({ figure, baseline: null, rate: DEFAULT_KUBE_RATE })];
  }
  ctx.progress("kubernetes: starting etcd, kube-apiserver and kube-controller-manager");
  const cluster = await startKubeCluster({ binDir });
  try {
    const rows = await createRows(ctx, cluster);
    return [...rows, ...(await kubernetesIdleRows(ctx, cluster))];
  } finally {
    await cluster.stop();
  }
}

function createRow(input: { figure: Row["figure"]; baseline: Row["baseline"]; rate: TokenRate }): Row {
  const { rate } = input;
  const unlimited = rate === UNLIMITED;
  return {
    scenario: `${count(SESSIONS)} new sessions to ${count(SESSIONS)} Jobs created in the test API server, ${unlimited ? "no client-side limit" : `--kube-qps ${rate.qps} --kube-burst ${rate.burst} (the defaults)`}`,
    target: unlimited ? "< 5 s" : "—",
    limit: unlimited ? 5 : null,
    figure: input.figure,
    baseline: input.baseline,
    note: unlimited
      ? "The controller's first pass with the kubernetes runner, to the last create answered: 16 creates in flight, no client-side limit, so the API server (with etcd and the Job controller, on the same 2 cores) is the limit. The baseline is what the runner did before: one create after another."
      : `The same with the default client-side limit: ${rate.burst} creates at once, then ${rate.qps} a second, so ${count(SESSIONS)} Jobs take at least ${((SESSIONS - rate.burst) / rate.qps).toFixed(0)} s by design.`,
  };
}

async function createRows(ctx: BenchContext, cluster: KubeCluster): Promise<Row[]> {
  const repo = await createBenchRepo({
    gitDir: join(ctx.options.dataDir, "kube.git"),
    shape: { sessions: SESSIONS, configurations: ctx.options.configurations },
    recorded: 0,
    logsPerSession: 0,
  });
  const unlimited: number[] = [];
  const limited: number[] = [];
  const baseline: number[] = [];
  for (let run = 0; run < ctx.runs(2); run++) {
    ctx.progress(`kubernetes: run ${run + 1}`);
    unlimited.push(await controllerToJobs({ cluster, repo, run, rate: UNLIMITED }));
    limited.push(await controllerToJobs({ cluster, repo, run, rate: DEFAULT_KUBE_RATE }));
    baseline.push(await createJobsDirectly({ cluster, repo, run }));
  }
  const seconds = (values: number[]): Row["figure"] =>
    measured(
      values.map((ms) => ms / 1000),
      "s",
    );
  const loop = {
    label: `${count(SESSIONS)} \`createNamespacedJob\` calls in a loop`,
    figure: seconds(baseline),
  };
  return [
    createRow({ figure: seconds(unlimited), baseline: loop, rate: UNLIMITED }),
    createRow({ figure: seconds(limited), baseline: loop, rate: DEFAULT_KUBE_RATE }),
  ];
}

interface RunInput {
  cluster: KubeCluster;
  repo: BenchRepo;
  run: number;
  rate?: TokenRate;
}

/** One first pass of a controller (fresh status branch, fresh namespace); ms to the last Job created. */
async function controllerToJobs(input: RunInput): Promise<number> {
  const { cluster, repo, run } = input;
  const namespace = `bench-controller-${input.rate === UNLIMITED ? "free" : "limited"}-${run}`;
  const kubeConfig = cluster.kubeConfig();
  await createNamespace(kubeConfig.makeApiClient(CoreV1Api), namespace);
  const log = pino({ level: "silent" });
  const source = await createLocalSource({ path: repo.gitDir, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: `${namespace}-status`, log });
  const runner = await createKubernetesRunner({
    kubeConfig,
    namespace,
    images: TEST_IMAGES,
    options: JOB_OPTIONS,
    log,
    ...(input.rate === undefined ? {} : { rate: input.rate }),
  });
  const timing = new StartTiming(runner);
  const controller = new Controller({
    source,
    status,
    runner: timing,
    log,
  });
  try {
    const started = performance.now();
    await controller.pass();
    const last = timing.lastReturn - started;
    await expectJobs(kubeConfig.makeApiClient(BatchV1Api), namespace);
    return last;
  } finally {
    await controller.stop();
    await Promise.all([runner.close(), source.close(), status.close()]);
  }
}

/** The same Jobs created by a plain client loop; ms for all. */
async function createJobsDirectly(input: RunInput): Promise<number> {
  const namespace = `bench-direct-${input.run}`;
  const kubeConfig = input.cluster.kubeConfig();
  await createNamespace(kubeConfig.makeApiClient(CoreV1Api), namespace);
  const batch = kubeConfig.makeApiClient(BatchV1Api);
  const shape = input.repo.shape;
  const bodies = Array.from({ length: SESSIONS }, (_, i) => {
    const spec = runSpecOf(sessionManifest(i, shape), {
      blob: blobId(Buffer.from(sessionYaml(i, shape))),
      sourceCommit: input.repo.mainTip,
    });
    return buildJob({ spec, namespace, images: TEST_IMAGES, options: JOB_OPTIONS });
  });
  const started = performance.now();
  for (const body of bodies) await batch.createNamespacedJob({ namespace, body });
  return performance.now() - started;
}

async function expectJobs(batch: BatchV1Api, namespace: string): Promise<void> {
  const list = await batch.listNamespacedJob({ namespace, labelSelector: MANAGED_SELECTOR });
  if (list.items.length !== SESSIONS)
    throw new Error(`${list.items.length} Jobs in ${namespace}, not ${SESSIONS}`);
}
