/**
 * Two controllers as `cfs-gitops controller --leader-elect --listen` wires them (ControllerServices),
 * on one configuration repository and one Lease of the shared real kube-apiserver: only the
 * leader is Ready and writes the status branch; the standby takes over when the leader stops; a
 * leader whose Lease is taken stops its loop and ends with "lost".
 */
import { join } from "node:path";
import { CoordinationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, beforeAll, beforeEach, describe, expect, inject, it } from "vitest";
import { resolveControllerConfig } from "../../../src/cli/config.js";
import { ControllerServices } from "../../../src/cli/controller-services.js";
import { Controller } from "../../../src/controller/index.js";
import { createLocalSource } from "../../../src/git/local-source.js";
import { createStatusStore } from "../../../src/git/status-store.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { SupervisionOutcome } from "../../../src/server/index.js";
import { ConfigRepo, sessionYaml, tempDir } from "../../helpers/config-repo.js";
import { kubeConfigFor } from "../../helpers/kube-cluster.js";
import { createNamespace, waitFor } from "../../helpers/kube-objects.js";

const namespace = "leader-controller";
const cluster = inject("kubeCluster");
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
const fast = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };

let dir: { path: string; cleanup: () => void };
let work: ConfigRepo;
const closers: Array<() => Promise<void>> = [];

beforeAll(async () => {
  await createNamespace(kubeConfigFor(cluster).makeApiClient(CoreV1Api), namespace);
});

beforeEach(() => {
  dir = tempDir("cfs-leader-controller-");
  work = new ConfigRepo(join(dir.path, "config"));
  work.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  dir.cleanup();
});

/** One replica: its services, its controller and how to stop it. */
async function replica(name: string, lease: string) {
  const config = resolveControllerConfig(
    {
      repo: work.path,
      dataDir: join(dir.path, name),
      listen: "127.0.0.1:0",
      leaderElect: true,
      leaseName: lease,
      namespace,
    },
    { POD_NAME: name },
  );
  const source = await createLocalSource({ path: work.path, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: "cfs-status", log });
  const runner = await createLocalRunner({ dataDir: join(dir.path, name, "runner"), log, maxConcurrent: 1 });
  const services = new ControllerServices({
    config,
    log,
    gitDir: source.gitDir,
    kubeConfig: kubeConfigFor(cluster),
    leaseTimings: fast,
    metrics: { processMetrics: false },
  });
  const controller: Controller = new Controller({
    ...services.instrument({ source, status, runner }),
    log,
    onPass: (report) => services.recordPass(report, controller.records),
  });
  const stop = new AbortController();
  const outcome: Promise<SupervisionOutcome> = services.run({ controller, runner, signal: stop.signal });
  closers.push(async () => {
    stop.abort();
    await outcome;
    await runner.close();
    await source.close();
    await status.close();
  });
  await until(() => services.httpServer !== null, `${name}'s HTTP server`);
  const url = services.httpServer!.url;
  return { services, stop, outcome, url, identity: config.leaderElection!.identity };
}

function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<true> {
  return waitFor(() => Promise.resolve(check() ? true : undefined), { what, timeoutMs });
}

async function readyz(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/readyz`);
  return { status: response.status, body: await response.text() };
}

async function untilReady(url: string, status: number, what: string): Promise<string> {
  return waitFor(
    async () => {
      const answer = await readyz(url);
      return answer.status === status ? answer.body : undefined;
    },
    { what, timeoutMs: 20_000 },
  );
}

/** True once the status branch holds a problem record for `manifest`. */
function problemRecorded(manifest: string): boolean {
  return work.statusFile(`problems/${manifest}.json`) !== null;
}

describe("controllers with --leader-elect", () => {
  it("lets only the leader be Ready and write status; the standby takes over when the leader stops", async () => {
    const a = await replica("replica-a", "handover");
    await untilReady(a.url, 200, "replica-a ready as leader");
    const b = await replica("replica-b", "handover");
    const standby = await untilReady(b.url, 503, "replica-b waiting");
    expect(standby).toContain(
      `[-]leader failed: not the leader: lease ${namespace}/handover is held by ${a.identity}`,
    );

    work.commit({ "sessions/first.yaml": sessionYaml("first", "missing") });
    await until(() => problemRecorded("sessions/first.yaml"), "replica-a to record the first problem");
    expect(await (await fetch(`${b.url}/metrics`)).text()).toContain(
      "cfs_gitops_pass_duration_seconds_count 0",
    );

    a.stop.abort();
    expect(await a.outcome).toBe("stopped");
    await untilReady(b.url, 200, "replica-b ready as the new leader");
    work.commit({ "sessions/second.yaml": sessionYaml("second", "missing") });
    await until(() => problemRecorded("sessions/second.yaml"), "replica-b to record the second problem");
  });

  it("stops the loop and ends with 'lost' when another holder takes the Lease", async () => {
    const a = await replica("replica-a", "taken");
    await untilReady(a.url, 200, "replica-a ready as leader");
    const leases = kubeConfigFor(cluster).makeApiClient(CoordinationV1Api);
    const current = await leases.readNamespacedLease({ name: "taken", namespace });
    await leases.replaceNamespacedLease({
      name: "taken",
      namespace,
      body: { ...current, spec: { ...current.spec, holderIdentity: "intruder", leaseDurationSeconds: 60 } },
    });
    expect(await a.outcome).toBe("lost");
    expect(a.services.httpServer).toBeNull();
    work.commit({ "sessions/late.yaml": sessionYaml("late", "missing") });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(problemRecorded("sessions/late.yaml")).toBe(false);
  });
});
