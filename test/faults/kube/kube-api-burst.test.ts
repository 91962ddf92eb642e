/**
 * Fault: a burst of 503s and dropped connections from the Kubernetes API server (a fault proxy in
 * front of the suite's real kube-apiserver) while the controller (the built CLI, kubernetes
 * runner) creates and watches Jobs. The test plays the kubelet: each pod's steps really run (real
 * git, real ansible). Required: the runner recovers, nothing is recorded failed because of the
 * burst, every session completes once with its real outcome, and /readyz says not ready during
 * the burst and ready after.
 */
import { writeFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import { CoreV1Api } from "@kubernetes/client-node";
import { afterAll, describe, expect, inject, it } from "vitest";
import { ConfigRepo } from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { TEST_IMAGES } from "../../helpers/kube-controller.js";
import { startKubeFaultProxy } from "../../helpers/kube-fault-proxy.js";
import { createNamespace } from "../../helpers/kube-objects.js";
import { runPodSteps } from "../../helpers/kube-step-kubelet.js";
import { pollUntil, sleep, startControllerProcess } from "../controller-process.js";
import {
  compareOutcomes,
  faultConfiguration,
  readMarks,
  realOutcome,
  sessionFiles,
  type FaultSession,
} from "../fault-sessions.js";
import { startScenario } from "../scenario.js";
import { sessionHistories, tipRecords } from "../status-history.js";

const BURST_MS = 10_000;
const BURST = { errorRate: 0.5, dropRate: 0.25 };

const cluster = inject("kubeCluster");
const core = kubeConfigFor(cluster).makeApiClient(CoreV1Api);
const scenario = startScenario("kube-api-burst");
afterAll(() => scenario.cleanup());

let lastReadyz = "";

/** The status code of GET /readyz (0 when nobody answers); its body is kept in `lastReadyz`. */
function readyz(port: number): Promise<number> {
  return new Promise((done) => {
    const req = request({ host: "127.0.0.1", port, path: "/readyz", timeout: 5_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => {
        lastReadyz = Buffer.concat(chunks).toString("utf8");
        done(res.statusCode ?? 0);
      });
    });
    req.on("error", () => done(0));
    req.on("timeout", () => req.destroy());
    req.end();
  });
}

function kubeconfigYaml(input: { server: string; caPem: string; token: string; namespace: string }): string {
  return `apiVersion: v1
kind: Config
clusters:
  - name: faulty
    cluster:
      server: ${input.server}
      certificate-authority-data: ${Buffer.from(input.caPem).toString("base64")}
users:
  - name: admin
    user:
      token: ${input.token}
contexts:
  - name: faulty
    context: { cluster: faulty, user: admin, namespace: ${input.namespace} }
current-context: faulty
`;
}

/** Plays the kubelet for every new pod of `namespace` until `stopped()`; returns pod errors. */
async function kubelet(input: { namespace: string; dir: string; stopped: () => boolean }): Promise<string[]> {
  const handled = new Set<string>();
  const runs: Array<Promise<unknown>> = [];
  const errors: string[] = [];
  while (!input.stopped()) {
    const pods = await core.listNamespacedPod({ namespace: input.namespace });
    for (const pod of pods.items) {
      const name = pod.metadata?.name ?? "";
      if (name === "" || handled.has(name) || pod.status?.phase !== "Pending") continue;
      handled.add(name);
      const run = runPodSteps({ core, namespace: input.namespace, pod: name, dir: join(input.dir, name) });
      runs.push(run.catch((error: unknown) => errors.push(`${name}: ${String(error)}`)));
    }
    await sleep(300);
  }
  await Promise.all(runs);
  return errors;
}

describe("a burst of 5xx and dropped connections from the Kubernetes API server", () => {
  it(
    "recovers, records nothing failed because of it, and /readyz reflects it",
    { timeout: 300_000 },
    async () => {
      const { random, dir } = scenario;
      const marks = join(dir, "marks");
      const namespace = `faults-burst-${scenario.seed % 100_000}`;
      await createNamespace(core, namespace);
      const proxy = await startKubeFaultProxy({
        target: cluster.server,
        targetCaPem: cluster.caPem,
        dir,
        random: () => random.next(),
      });
      const kubeconfig = join(dir, "faulty.kubeconfig");
      writeFileSync(
        kubeconfig,
        kubeconfigYaml({ server: proxy.server, caPem: proxy.caPem, token: cluster.adminToken, namespace }),
      );
      const make = (prefix: string): FaultSession[] =>
        Array.from({ length: 3 }, (_, i) => ({
          name: `${prefix}-${i}`,
          fail: random.chance(0.3),
          sleepSeconds: 1,
        }));
      const before = make("before");
      const during = make("during");
      const sessions = [...before, ...during];
      const names = sessions.map((s) => s.name);
      const repo = new ConfigRepo(join(dir, "config"));
      const gitDir = join(repo.path, ".git");
      repo.commit({ "configurations/fault.yaml": faultConfiguration(dir, marks), ...sessionFiles(before) });
      let stopped = false;
      const pods = kubelet({ namespace, dir: join(dir, "pods"), stopped: () => stopped });
      const controller = startControllerProcess({
        repo: repo.path,
        dataDir: join(dir, "data"),
        args: [
          ...["--runner", "kubernetes", "--kubeconfig", kubeconfig, "--namespace", namespace],
          ...["--step-image", TEST_IMAGES.step, "--ansible-image", TEST_IMAGES.ansible],
          ...["--listen", "127.0.0.1:0"],
        ],
      });
      try {
        const port = await controller.listenPort();
        const readyBefore = await pollUntil(async () => (await readyz(port)) === 200, { timeoutMs: 60_000 });
        await pollUntil(
          () =>
            [...tipRecords(gitDir, { sessions: before.map((s) => s.name) }).values()].every(
              (r) => r !== null,
            ),
          {
            timeoutMs: 60_000,
          },
        );

        proxy.setBurst(BURST);
        const burstAt = Date.now();
        repo.commit(sessionFiles(during), "sessions added during the burst");
        const notReady = await pollUntil(async () => (await readyz(port)) === 503, {
          timeoutMs: BURST_MS,
          everyMs: 250,
        });
        await sleep(Math.max(0, BURST_MS - (Date.now() - burstAt)));
        proxy.setBurst(null);
        const endAt = Date.now();
        const readyAfter = await pollUntil(async () => (await readyz(port)) === 200, { timeoutMs: 60_000 });
        const readyAfterMs = Date.now() - endAt;
        if (!readyAfter)
          scenario.notes.push(`/readyz a minute after the burst: ${lastReadyz.trim().replace(/\n/g, " | ")}`);
        const finished = await pollUntil(
          () =>
            [...tipRecords(gitDir, { sessions: names }).values()].every(
              (r) => r?.status.session.status === "complete",
            ),
          { timeoutMs: 150_000, everyMs: 500 },
        );
        const crashed = controller.end() !== null;
        stopped = true;
        const podErrors = await pods;

        const records = tipRecords(gitDir, { sessions: names });
        const outcomes = compareOutcomes({ marks, sessions, records });
        // Recorded failed although its playbook never failed: the burst's doing.
        const failedByBurst = sessions.filter(
          (s) =>
            records.get(s.name)?.status.session.succeeded === "false" &&
            realOutcome(readMarks(marks, s.name)) !== "false",
        );
        const histories = [...sessionHistories(gitDir, { sessions: names }).values()];
        const stats = proxy.stats();
        if (!finished) scenario.notes.push("not every session completed after the burst");
        scenario.notes.push(
          ...outcomes.mismatches,
          ...podErrors,
          ...failedByBurst.map(
            (s) => `${s.name}: recorded failed: ${records.get(s.name)?.status.reason ?? ""}`,
          ),
        );
        const unmet = scenario.report([
          { name: "sessions", value: sessions.length },
          { name: "burst (s)", value: BURST_MS / 1000 },
          { name: "API requests through the proxy", value: stats.requests },
          { name: "503s injected", value: stats.injected503 },
          { name: "connections dropped", value: stats.dropped },
          { name: "ready before the burst", value: readyBefore, required: true },
          { name: "/readyz not ready during the burst", value: notReady, required: true },
          { name: "/readyz ready again after", value: readyAfter, required: true },
          { name: "burst end to ready (ms)", value: readyAfter ? readyAfterMs : "never" },
          { name: "controller crashes (exited by itself)", value: crashed ? 1 : 0, required: 0 },
          { name: "sessions recorded failed because of the burst", value: failedByBurst.length, required: 0 },
          { name: "sessions lost (not complete)", value: outcomes.notComplete, required: 0 },
          { name: "duplicate runs", value: outcomes.duplicateRuns, required: 0 },
          {
            name: "recorded outcome differs from the real one",
            value: outcomes.outcomeMismatches,
            required: 0,
          },
          { name: "backward transitions", value: histories.reduce((n, h) => n + h.backward, 0), required: 0 },
        ]);
        expect(unmet, scenario.notes.join("\n")).toEqual([]);
      } finally {
        stopped = true;
        await controller.stop("SIGTERM");
        await pods.catch(() => undefined);
        await proxy.close();
      }
    },
  );
});
