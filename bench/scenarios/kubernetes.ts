/**
 * 1,000 new sessions to 1,000 Jobs created on a real kube-apiserver (the test suite's control
 * plane: etcd, kube-apiserver and kube-controller-manager from test/kube/bin, no kubelet). The
 * controller runs with the kubernetes runner; the figure ends when the last create returned.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import type { RunSpec } from "../../src/api/index.js";
import { Controller } from "../../src/controller/index.js";
import { createLocalSource } from "../../src/git/local-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import { buildJob } from "../../src/jobs/index.js";
import { createKubernetesRunner, MANAGED_SELECTOR } from "../../src/runners/kubernetes/index.js";
import type { Runner } from "../../src/runners/types.js";
import { startKubeCluster, type KubeCluster } from "../../test/helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../test/helpers/kube-controller.js";
import { createNamespace } from "../../test/helpers/kube-objects.js";
import { createBenchRepo, type BenchRepo } from "../lib/bench-repo.js";
import type { BenchContext } from "../lib/context.js";
import { blobId, sessionManifest, sessionYaml, runSpecOf } from "../lib/generate.js";
import { count, measured, notMeasured, type Row } from "../lib/report.js";

const SESSIONS = 1000;
const JOB_OPTIONS = { activeDeadlineSeconds: 3600, ttlSecondsAfterFinished: null };

/** Row: 1,000 sessions to 1,000 Jobs. */
export async function kubernetesRows(ctx: BenchContext): Promise<Row[]> {
  const binDir = join(ctx.options.root, "test", "kube", "bin");
  const row = (figure: Row["figure"], baseline: Row["baseline"]): Row => ({
    scenario: `${count(SESSIONS)} new sessions to ${count(SESSIONS)} Jobs created in the test API server`,
    target: "< 30 s",
    limit: 30,
    figure,
    baseline,
    note: "The controller's first pass with the kubernetes runner (one create per Job, as the runner does them: one after another), to the last create answered. The API server, etcd and the Job controller run on the same 2 cores.",
  });
  if (!existsSync(join(binDir, "kube-apiserver"))) {
    return [row(notMeasured(`no kube-apiserver in ${binDir}: build it with test/kube/build.sh`), null)];
  }
  ctx.progress("kubernetes: starting etcd, kube-apiserver and kube-controller-manager");
  const cluster = await startKubeCluster({ binDir });
  try {
    const repo = await createBenchRepo({
      gitDir: join(ctx.options.dataDir, "kube.git"),
      shape: { sessions: SESSIONS, configurations: ctx.options.configurations },
      recorded: 0,
      logsPerSession: 0,
    });
    const samples: number[] = [];
    const baseline: number[] = [];
    for (let run = 0; run < ctx.runs(2); run++) {
      ctx.progress(`kubernetes: run ${run + 1}`);
      samples.push(await controllerToJobs({ cluster, repo, run }));
      baseline.push(await createJobsDirectly({ cluster, repo, run }));
    }
    const seconds = (values: number[]): Row["figure"] =>
      measured(
        values.map((ms) => ms / 1000),
        "s",
      );
    return [
      row(seconds(samples), {
        label: `${count(SESSIONS)} \`createNamespacedJob\` calls in a loop`,
        figure: seconds(baseline),
      }),
    ];
  } finally {
    await cluster.stop();
  }
}

interface RunInput {
  cluster: KubeCluster;
  repo: BenchRepo;
  run: number;
}

/** One first pass of a controller (fresh status branch, fresh namespace); ms to the last Job created. */
async function controllerToJobs(input: RunInput): Promise<number> {
  const { cluster, repo, run } = input;
  const namespace = `bench-controller-${run}`;
  const kubeConfig = cluster.kubeConfig();
  await createNamespace(kubeConfig.makeApiClient(CoreV1Api), namespace);
  const log = pino({ level: "silent" });
  const source = await createLocalSource({ path: repo.gitDir, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: `kube-status-${run}`, log });
  const runner = await createKubernetesRunner({
    kubeConfig,
    namespace,
    images: TEST_IMAGES,
    options: JOB_OPTIONS,
    log,
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

/** A Runner decorator that remembers when the last start() returned. */
class StartTiming implements Runner {
  lastReturn = 0;

  constructor(private readonly inner: Runner) {}

  async start(spec: RunSpec): Promise<void> {
    await this.inner.start(spec);
    this.lastReturn = performance.now();
  }

  remove(name: string, job: string): Promise<void> {
    return this.inner.remove(name, job);
  }

  observe(): ReturnType<Runner["observe"]> {
    return this.inner.observe();
  }

  onChange(callback: () => void): void {
    this.inner.onChange(callback);
  }

  readLog(job: string, step: string): Promise<string | null> {
    return this.inner.readLog(job, step);
  }

  isReady(): boolean {
    return this.inner.isReady();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
