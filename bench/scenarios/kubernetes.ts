/**
 * 1,000 new sessions to 1,000 Jobs created on a real kube-apiserver (the test suite's control
 * plane: etcd, kube-apiserver and kube-controller-manager from test/kube/bin, no kubelet). The
 * controller runs with the kubernetes runner; the figure ends when the last create returned. Rows:
 * a high client-side limit with keep-alive connections (the runner now) and with a new connection
 * per request (before), and the default limit; each says how many creates were in flight and the
 * CPU the controller and each control plane process spent.
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
  START_CONCURRENCY,
} from "../../src/runners/kubernetes/index.js";
import type { TokenRate } from "../../src/runners/kubernetes/token-bucket.js";
import { startKubeCluster, type KubeCluster } from "../../test/helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../test/helpers/kube-controller.js";
import { createNamespace } from "../../test/helpers/kube-objects.js";
import { createBenchRepo, type BenchRepo } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { blobId, sessionManifest, sessionYaml, runSpecOf } from "../lib/generate.js";
import { cpuSnapshot, cpuSpent, describeCpu, type CpuSnapshot } from "../lib/process-cpu.js";
import { count, measured, notMeasured, type Row } from "../lib/report.js";
import { StartTiming } from "../lib/start-timing.js";
import { kubernetesIdleRows } from "./kubernetes-idle.js";

const SESSIONS = 1000;
const JOB_OPTIONS = { activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: null };
/** A setting a site raising the limit for big batches might choose (`--kube-qps 300 --kube-burst 500`). */
const HIGH: TokenRate = { qps: 300, burst: 500 };
/** The processes whose CPU the rows report: the controller (this process) and the control plane. */
const CLUSTER = /^(etcd|kube-apiserver|kube-controller)/;

/** One way the controller's first pass creates the Jobs. */
interface Variant {
  key: string;
  rate: TokenRate;
  keepAlive: boolean;
}

const VARIANTS: readonly Variant[] = [
  { key: "high", rate: HIGH, keepAlive: true },
  { key: "high-per-request", rate: HIGH, keepAlive: false },
  { key: "default", rate: DEFAULT_KUBE_RATE, keepAlive: true },
];

/** What one run measured. */
interface Sample {
  ms: number;
  maxInFlight: number;
  cpu: CpuSnapshot;
}

/** Rows: 1,000 sessions to 1,000 Jobs (a high limit with and without keep-alive, the default), then 10,000 Jobs that do not change. */
export async function kubernetesRows(ctx: BenchContext): Promise<Row[]> {
  const binDir = join(ctx.options.root, "test", "kube", "bin");
  if (!existsSync(join(binDir, "kube-apiserver"))) {
    const figure = notMeasured(`no kube-apiserver in ${binDir}: build it with test/kube/build.sh`);
    return VARIANTS.map((variant) => createRow({ variant, samples: [], figure, baseline: null }));
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

function rateFlags(rate: TokenRate): string {
  return `--kube-qps ${rate.qps} --kube-burst ${rate.burst}`;
}

function createRow(input: {
  variant: Variant;
  samples: readonly Sample[];
  figure: Row["figure"];
  baseline: Row["baseline"];
}): Row {
  const { variant, samples } = input;
  const { rate } = variant;
  const isDefault = rate === DEFAULT_KUBE_RATE;
  const connections = variant.keepAlive ? "keep-alive connections" : "a new connection per request (before)";
  const floor = Math.max(0, (SESSIONS - rate.burst) / rate.qps);
  const measuredNote =
    samples.length === 0
      ? ""
      : ` At most ${Math.max(...samples.map((s) => s.maxInFlight))} creates in flight. CPU of the run (median): ${describeCpu(samples.map((s) => s.cpu))}.`;
  return {
    scenario: `${count(SESSIONS)} new sessions to ${count(SESSIONS)} Jobs created in the test API server, ${rateFlags(rate)}${isDefault ? " (the defaults)" : ""}, ${connections}`,
    target: isDefault ? `(≥ ${floor.toFixed(0)} s by design)` : variant.keepAlive ? "< 5 s" : "—",
    limit: !isDefault && variant.keepAlive ? 5 : null,
    figure: input.figure,
    baseline: input.baseline,
    note: `The controller's first pass with the kubernetes runner, to the last create answered: up to ${START_CONCURRENCY} starts at once, each create taking a token of the client-side limit (${rate.burst} at once, then ${rate.qps} a second: at least ${floor.toFixed(1)} s for ${count(SESSIONS)} Jobs by design). The API server, etcd and the Job controller (which creates each Job's pod) run on the same 2 cores. The baseline is what the runner did before parallel creates: one create after another, a new connection each.${measuredNote}`,
  };
}

async function createRows(ctx: BenchContext, cluster: KubeCluster): Promise<Row[]> {
  const repo = await createBenchRepo({
    gitDir: join(ctx.options.dataDir, "kube.git"),
    shape: { sessions: SESSIONS, configurations: ctx.options.configurations },
    recorded: 0,
    logsPerSession: 0,
  });
  const samples = new Map<string, Sample[]>(VARIANTS.map((v) => [v.key, []]));
  const baseline: number[] = [];
  for (let run = 0; run < ctx.runs(2); run++) {
    // Each run starts with another variant, so a load that drifts does not always favour the same one.
    const order = [...VARIANTS.slice(run % VARIANTS.length), ...VARIANTS.slice(0, run % VARIANTS.length)];
    for (const variant of order) {
      ctx.progress(`kubernetes: run ${run + 1}, ${rateFlags(variant.rate)}, keep-alive ${variant.keepAlive}`);
      samples.get(variant.key)?.push(await controllerToJobs({ cluster, repo, run, variant }));
    }
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
  return VARIANTS.map((variant) => {
    const mine = samples.get(variant.key) ?? [];
    const figure = seconds(mine.map((sample) => sample.ms));
    return createRow({ variant, samples: mine, figure, baseline: loop });
  });
}

interface RunInput {
  cluster: KubeCluster;
  repo: BenchRepo;
  run: number;
}

/** One first pass of a controller (fresh status branch, fresh namespace): to the last Job created. */
async function controllerToJobs(input: RunInput & { variant: Variant }): Promise<Sample> {
  const { cluster, repo, run, variant } = input;
  const namespace = `bench-controller-${variant.key}-${run}`;
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
    rate: variant.rate,
    keepAlive: variant.keepAlive,
  });
  const timing = new StartTiming(runner);
  const controller = new Controller({
    source,
    status,
    runner: timing,
    log,
  });
  try {
    const before = cpuSnapshot(CLUSTER);
    const started = performance.now();
    await controller.pass();
    const ms = timing.lastReturn - started;
    const cpu = cpuSpent(before, cpuSnapshot(CLUSTER));
    await expectJobs(kubeConfig.makeApiClient(BatchV1Api), namespace);
    return { ms, maxInFlight: timing.maxInFlight, cpu };
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
