/**
 * What the kubernetes runner does when the API server fails a Job's creation: the real
 * kube-apiserver of the suite behind the fault-injecting proxy, with a burst that answers 503 to
 * the creation of Jobs only. The runner's clock and waits are a manual clock the test moves.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BatchV1Api, CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createKubernetesRunner, KubernetesApiError } from "../../../src/runners/kubernetes/index.js";
import type { Runner } from "../../../src/runners/types.js";
import { failureClass } from "../../../src/api/errors.js";
import { tempDir } from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../helpers/kube-controller.js";
import { startKubeFaultProxy, type KubeFaultProxy } from "../../helpers/kube-fault-proxy.js";
import { createNamespace } from "../../helpers/kube-objects.js";
import { runSpec } from "../../helpers/kube-run-specs.js";
import { ManualClock } from "../../unit/controller/fakes.js";

const cluster = inject("kubeCluster");
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
const batch = kubeConfigFor(cluster).makeApiClient(BatchV1Api);
const log = pino({ level: "silent" });

let dir: { path: string; cleanup: () => void };
const closers: Array<() => Promise<void>> = [];

beforeAll(() => {
  dir = tempDir("cfs-kube-create-");
  return () => dir.cleanup();
});

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

/** Creating a Job (POST .../jobs), and nothing else, fails with 503 while the burst is on. */
const CREATE_JOBS = {
  errorRate: 1,
  dropRate: 0,
  only: (request: { method: string; path: string }) =>
    request.method === "POST" && /\/namespaces\/[^/]+\/jobs(\?|$)/.test(request.path),
};

/** A runner behind a fresh proxy, in a fresh namespace, on a manual clock. */
async function runnerBehindProxy(namespace: string): Promise<{
  runner: Runner;
  proxy: KubeFaultProxy;
  clock: ManualClock;
}> {
  await createNamespace(core, namespace);
  const keys = join(dir.path, namespace);
  mkdirSync(keys, { recursive: true });
  const proxy = await startKubeFaultProxy({
    target: cluster.server,
    targetCaPem: cluster.caPem,
    dir: keys,
    random: () => 0.5,
  });
  closers.push(() => proxy.close());
  const clock = new ManualClock();
  const runner = await createKubernetesRunner({
    kubeConfig: kubeConfigFor({ server: proxy.server, caPem: proxy.caPem, adminToken: cluster.adminToken }),
    namespace,
    images: TEST_IMAGES,
    options: { activeDeadlineSeconds: 600 },
    log,
    now: clock.now,
    sleep: clock.sleep,
  });
  closers.unshift(() => runner.close());
  // The first sync's timeout was the only wait so far, cancelled once the lists came.
  expect(clock.waits).toEqual([60_000]);
  expect(clock.pending).toBe(0);
  clock.waits.length = 0;
  return { runner, proxy, clock };
}

describe("the kubernetes runner when the API server fails a Job's creation", () => {
  it("makes one attempt on a 503 and throws it as a transient error, waiting for nothing itself", async () => {
    // The controller's backoff retries the pass (test/unit/controller/loop-failures.test.ts); the
    // runner keeps no retry loop of its own.
    const { runner, proxy, clock } = await runnerBehindProxy("create-fails-503");
    const spec = runSpec({ name: "busy" });
    proxy.setBurst(CREATE_JOBS);
    const error = await runner.start(spec).then(
      () => null,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(KubernetesApiError);
    expect((error as KubernetesApiError).status).toBe(503);
    expect(failureClass(error)).toBe("transient");
    expect(proxy.stats().injected503).toBe(1);
    expect(clock.waits).toEqual([]);
    expect((await runner.observe()).has(spec.name)).toBe(false);

    proxy.setBurst(null);
    await runner.start(spec);
    const job = await batch.readNamespacedJob({ name: spec.job, namespace: "create-fails-503" });
    expect(job.metadata?.name).toBe(spec.job);
    expect((await runner.observe()).get(spec.name)?.phase).toBe("pending");
  });
});
