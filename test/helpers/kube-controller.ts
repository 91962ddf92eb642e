/**
 * Wires the real Controller onto a local configuration repository with the kubernetes runner on
 * the shared test cluster (the kube suite's counterpart of test/e2e/harness.ts).
 */
import { pino } from "pino";
import { Controller } from "../../src/controller/index.js";
import { createLocalSource } from "../../src/git/local-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import { createKubernetesRunner, type KubernetesRunnerOptions } from "../../src/runners/kubernetes/index.js";
import type { Runner } from "../../src/runners/types.js";
import { kubeConfigFor, type KubeClusterInfo } from "./kube-cluster.js";

/** The images every test Job names (nothing pulls them: the tests play the kubelet). */
export const TEST_IMAGES = { step: "registry.local/cfs-gitops:test", ansible: "registry.local/cfs-aee:test" };

/** Options of startKubeController. */
export interface KubeControllerInput {
  cluster: KubeClusterInfo;
  namespace: string;
  /** Path of the configuration repository (a work tree). */
  repo: string;
  /** Bearer token to run as (default: the cluster admin). */
  token?: string;
  /** Runner settings to change (deadline, secret, watch tuning). */
  runner?: Partial<Pick<KubernetesRunnerOptions, "options" | "watch" | "now" | "progressIntervalMs">>;
}

/** A running controller with its runner. */
export interface KubeController {
  controller: Controller;
  runner: Runner;
  close(): Promise<void>;
}

/** Starts a controller (watching the repository) whose sessions run as Jobs on the test cluster. */
export async function startKubeController(input: KubeControllerInput): Promise<KubeController> {
  const log = pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" });
  const source = await createLocalSource({ path: input.repo, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: "cfs-status", log });
  const runner = await createKubernetesRunner({
    kubeConfig: kubeConfigFor(input.cluster, input.token),
    namespace: input.namespace,
    images: TEST_IMAGES,
    options: { activeDeadlineSeconds: 3600, ...input.runner?.options },
    log,
    ...(input.runner?.watch === undefined ? {} : { watch: input.runner.watch }),
    ...(input.runner?.now === undefined ? {} : { now: input.runner.now }),
    ...(input.runner?.progressIntervalMs === undefined
      ? {}
      : { progressIntervalMs: input.runner.progressIntervalMs }),
  });
  const io = { source, status, log };
  const controller = new Controller({ ...io, runner, progressIntervalMs: 0 });
  await controller.start();
  return {
    controller,
    runner,
    close: async () => {
      await controller.stop();
      await Promise.all([runner.close(), source.close(), status.close()]);
    },
  };
}
