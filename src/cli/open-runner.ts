/** Runner selection for `controller`: the local runner, or the kubernetes runner and its cluster. */
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import type { Logger } from "pino";
import type { RunSpec } from "../api/index.js";
import type { ImageService } from "../images/types.js";
import type { JobOptions } from "../jobs/index.js";
import { createKubernetesRunner } from "../runners/kubernetes/index.js";
import { createLocalRunner, type SourceDirs } from "../runners/local/index.js";
import type { OriginCredentials } from "../runners/steps/index.js";
import type { Runner } from "../runners/types.js";
import type { ControllerConfig } from "./config.js";

/** Inputs of openRunner. */
export interface OpenRunnerInput {
  config: Pick<
    ControllerConfig,
    | "runner"
    | "kubernetes"
    | "namespace"
    | "dataDir"
    | "maxConcurrent"
    | "stepEnv"
    | "repo"
    | "kind"
    | "credentials"
  > &
    Partial<Pick<ControllerConfig, "cloneRetry" | "sshKey">>;
  log: Logger;
  /** The image service of image sessions (local runner). */
  images: ImageService | null;
  /** The cluster of the kubernetes runner (see loadKubeConfig); null for the local runner. */
  kubeConfig: KubeConfig | null;
  /** Called for every Job the kubernetes runner creates (a metric). */
  onJobCreated?: (spec: RunSpec) => void;
}

/** Where the local runner reads sources' credentials and CA certificates (as the README documents). */
export function localSourceDirs(config: { dataDir: string }): SourceDirs {
  return { secretsDir: join(config.dataDir, "secrets"), configMapsDir: join(config.dataDir, "configmaps") };
}

/** The runner `--runner` names. */
export function openRunner(input: OpenRunnerInput): Promise<Runner> {
  const { config, log } = input;
  const kube = config.kubernetes;
  if (config.runner === "local" || kube === null) {
    return createLocalRunner({
      dataDir: join(config.dataDir, "runner"),
      log,
      maxConcurrent: config.maxConcurrent,
      images: input.images,
      stepEnv: config.stepEnv,
      gitCredentials: gitCredentials(config),
      sourceDirs: localSourceDirs(config),
      ...(config.cloneRetry === undefined ? {} : { cloneRetry: config.cloneRetry }),
      ...(config.sshKey === undefined || config.sshKey === null ? {} : { sshKey: config.sshKey }),
    });
  }
  if (input.kubeConfig === null) throw new Error("the kubernetes runner needs a kubeConfig (loadKubeConfig)");
  return createKubernetesRunner({
    kubeConfig: input.kubeConfig,
    namespace: config.namespace,
    images: { step: kube.stepImage, ansible: kube.ansibleImage },
    options: {
      activeDeadlineSeconds: kube.jobDeadlineSeconds,
      stepEnv: config.stepEnv,
      ...(kube.gitCredentialsSecret === null ? {} : { gitCredentialsSecret: kube.gitCredentialsSecret }),
      ...(kube.imageService === null ? {} : { imageService: kube.imageService }),
      ...jobShapeOptions(kube, config.cloneRetry),
    },
    log,
    rate: kube.rate,
    ...(input.onJobCreated === undefined ? {} : { onJobCreated: input.onJobCreated }),
  });
}

/** The Job options of issue 13: the layout, the node SSH key Secret, the clone retries. */
function jobShapeOptions(
  kube: NonNullable<ControllerConfig["kubernetes"]>,
  retry: ControllerConfig["cloneRetry"] | undefined,
): Pick<JobOptions, "layout" | "nodeSshSecret" | "cloneRetry"> {
  return {
    layout: kube.jobLayout,
    ...(kube.nodeSshSecret === null ? {} : { nodeSshSecret: kube.nodeSshSecret }),
    ...(retry === undefined ? {} : { cloneRetry: { attempts: retry.attempts, delayMs: retry.delayMs } }),
  };
}

/**
 * The controller's credentials for the local runner's git steps: used only for clone URLs on the
 * configuration repository's own server (see gitStepEnv), never put in any other step's environment.
 */
function gitCredentials(
  config: Pick<ControllerConfig, "repo" | "kind" | "credentials">,
): OriginCredentials | null {
  if (config.kind !== "remote" || config.credentials === null) return null;
  return { credentials: config.credentials, url: config.repo };
}

/**
 * The cluster to talk to: the kubeconfig file when one is given; else, inside a pod, its service
 * account; else KUBECONFIG or ~/.kube/config, as kubectl finds them.
 */
export function loadKubeConfig(
  path: string | null,
  env: Readonly<Record<string, string | undefined>>,
): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (path !== null) kubeConfig.loadFromFile(path);
  else if (env["KUBERNETES_SERVICE_HOST"] !== undefined && env["KUBECONFIG"] === undefined)
    kubeConfig.loadFromCluster();
  else kubeConfig.loadFromDefault();
  return kubeConfig;
}
