/**
 * Configuration parsed once: flags, environment and credential files become one frozen
 * ResolvedConfig. Bad configuration fails at start with one clear line (exit code 2).
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { splitUrlCredentials } from "../git/credentials.js";
import type { JobImageService } from "../jobs/index.js";
import { parseDuration } from "../plan/duration.js";
import { stepEnvNameProblem } from "../runners/steps/step-env-names.js";
import type { CloneRetry } from "../runners/steps/clone-steps.js";
import type { TokenRate } from "../runners/kubernetes/token-bucket.js";
import { parseListenAddress, type ListenAddress } from "../server/listen-address.js";
import { resolveCloneRetry } from "./clone-retry-config.js";
import {
  resolveKubernetesJobShape,
  resolveLocalSshKey,
  type JobShapeFlags,
  type KubernetesJobShape,
} from "./job-shape-config.js";
import { resolveKubeRate } from "./kube-rate-config.js";
import { ConfigError } from "./config-error.js";

import { resolveRepoConfig, type RepoConfig, type RepoFlags } from "./repo-settings.js";

export { ConfigError } from "./config-error.js";
export {
  defaultDataDir,
  readCredentials,
  resolveRepoConfig,
  type RepoConfig,
  type RepoFlags,
} from "./repo-settings.js";

/** Controller settings on top of the repository. */
export interface ControllerConfig extends RepoConfig {
  once: boolean;
  /** `--once`: the longest wait for the sessions to finish (and for transient failures to pass). */
  onceTimeoutMs: number;
  pollIntervalMs: number;
  maxConcurrent: number;
  /** Where sessions run: processes on this machine, or one Kubernetes Job each. */
  runner: "local" | "kubernetes";
  /** The kubernetes runner's settings; null with the local runner. */
  kubernetes: KubernetesRunnerConfig | null;
  /** Where the HTTP server (health, readiness, metrics, webhook) listens; null: no server. */
  listen: ListenAddress | null;
  /** Shared secret of `POST /hooks/git`; null: the receiver is off. */
  webhookSecret: string | null;
  /** The Kubernetes namespace of the Lease (and of the runner's Jobs). */
  namespace: string;
  /** Leader election over a Lease; null when off. */
  leaderElection: { leaseName: string; identity: string } | null;
  /** The image service of image sessions (`target.definition: image`). */
  images: ImageServiceConfig;
  /** The site's allow-list (`--step-env`): names of this environment that steps also get. */
  stepEnv: readonly string[];
  /** Retries of a clone that failed in a way that can pass (both runners; CFS_GITOPS_GIT_RETRY_*). */
  cloneRetry: CloneRetry;
  /** Local runner: the SSH private key node sessions' ansible logs in with (`--ssh-key`); null: none. */
  sshKey: string | null;
}

/** The image service: the local image store (the default), the Cray IMS API, or none. */
export type ImageServiceConfig =
  | { service: "none" }
  | { service: "local"; dir: string }
  | {
      service: "ims";
      /** IMS base URL without `/v3` (`https://api-gw-service-nmn.local/apis/ims`). */
      url: string;
      /** File holding the bearer token, read for every request (tokens rotate); null: none sent. */
      tokenFile: string | null;
      /** The `connection_info` entry of the SSH jails to use (`cluster.local`, `customer_access`). */
      sshNetwork: string;
      timeouts: { jobReadyMs: number; sshReadyMs: number; resultMs: number };
    };

/** Image service flags (controller). */
export interface ImageFlags {
  imageService?: string;
  imsUrl?: string;
  imsTokenFile?: string;
  imsSshNetwork?: string;
  imsJobTimeout?: string;
  imsSshTimeout?: string;
  imsResultTimeout?: string;
  imsTokenSecret?: string;
  imsSshKeySecret?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Controller flags. */
export interface ControllerFlags extends RepoFlags, ImageFlags, JobShapeFlags {
  once?: boolean;
  timeout?: string;
  pollInterval?: string;
  maxConcurrent?: string;
  listen?: string;
  webhookSecretFile?: string;
  leaderElect?: boolean;
  leaseName?: string;
  namespace?: string;
  runner?: string;
  kubeconfig?: string;
  stepImage?: string;
  ansibleImage?: string;
  jobDeadline?: string;
  gitCredentialsSecret?: string;
  kubeQps?: string;
  kubeBurst?: string;
  /** `--step-env NAME`, repeatable; each may also be a comma-separated list. */
  stepEnv?: readonly string[];
}

/** Resolves the controller's configuration. */
export function resolveControllerConfig(flags: ControllerFlags, env: Env): Readonly<ControllerConfig> {
  const repo = resolveRepoConfig(flags, env);
  const poll = flags.pollInterval ?? env.CFS_GITOPS_POLL_INTERVAL ?? "30s";
  const pollIntervalMs = parseDuration(poll);
  if (pollIntervalMs === null || pollIntervalMs <= 0) {
    throw new ConfigError(`--poll-interval ${poll}: not a duration (use e.g. 30s, 5m)`);
  }
  const concurrentText = flags.maxConcurrent ?? env.CFS_GITOPS_MAX_CONCURRENT ?? "4";
  const maxConcurrent = Number(concurrentText);
  if (!Number.isInteger(maxConcurrent) || maxConcurrent < 1) {
    throw new ConfigError(`--max-concurrent ${concurrentText}: must be a whole number of at least 1`);
  }
  const images = resolveImageConfig(flags, env, repo.dataDir);
  const cloneRetry = resolveCloneRetry(env);
  if ("error" in cloneRetry) throw new ConfigError(cloneRetry.error);
  return Object.freeze({
    ...repo,
    once: flags.once ?? false,
    onceTimeoutMs: resolveOnceTimeout(flags),
    pollIntervalMs,
    maxConcurrent,
    ...resolveRunnerConfig(flags, env, images),
    ...resolveServerConfig(flags, env),
    images,
    stepEnv: resolveStepEnv(flags.stepEnv, env.CFS_GITOPS_STEP_ENV),
    cloneRetry,
  } satisfies ControllerConfig);
}

/** `--step-env` (else CFS_GITOPS_STEP_ENV): variable names, comma-separated or repeated, checked. */
export function resolveStepEnv(flags: readonly string[] | undefined, fromEnv: string | undefined): string[] {
  const names = (flags ?? [fromEnv ?? ""]).flatMap((text) => text.split(",")).map((name) => name.trim());
  const list = [...new Set(names.filter((name) => name !== ""))];
  for (const name of list) {
    const problem = stepEnvNameProblem(name);
    if (problem !== null) throw new ConfigError(`--step-env ${name}: ${problem}`);
  }
  return list;
}

/** Default of `--timeout` (with `--once`). */
export const DEFAULT_ONCE_TIMEOUT = "1h";

function resolveOnceTimeout(flags: ControllerFlags): number {
  if (flags.timeout !== undefined && !flags.once) throw new ConfigError("--timeout needs --once");
  const text = flags.timeout ?? DEFAULT_ONCE_TIMEOUT;
  const ms = parseDuration(text);
  if (ms === null || ms <= 0)
    throw new ConfigError(`--timeout ${text}: not a duration (use e.g. 90s, 30m, 2h)`);
  return ms;
}

/** Where the local image store lives: `<dataDir>/images`. */
export function imageStoreDir(dataDir: string): string {
  return join(dataDir, "images");
}

/**
 * The local image store of `cfs-gitops images`: under `--data-dir` (or CFS_GITOPS_DATA_DIR), else
 * under the data directory the controller uses for `--repo`.
 */
export function resolveImageStoreDir(flags: Pick<RepoFlags, "repo" | "dataDir">, env: Env): string {
  const dataDir = flags.dataDir ?? env.CFS_GITOPS_DATA_DIR;
  if (dataDir !== undefined) return imageStoreDir(resolve(dataDir));
  if (flags.repo === undefined && env.CFS_GITOPS_REPO === undefined) {
    throw new ConfigError(
      "the image store is in the controller's data directory: pass --data-dir <dir> or --repo <path|url>",
    );
  }
  return imageStoreDir(resolveRepoConfig(flags, env).dataDir);
}

/** The image service from `--image-service` (local, ims or none; default local) and its flags. */
export function resolveImageConfig(flags: ImageFlags, env: Env, dataDir: string): ImageServiceConfig {
  const service = flags.imageService ?? env.CFS_GITOPS_IMAGE_SERVICE ?? "local";
  if (service === "none") return { service };
  if (service === "local") return { service, dir: imageStoreDir(dataDir) };
  if (service === "ims") return resolveImsConfig(flags, env);
  throw new ConfigError(`--image-service ${service}: use local, ims or none`);
}

function resolveImsConfig(flags: ImageFlags, env: Env): ImageServiceConfig {
  const url = setting(flags.imsUrl, env.CFS_GITOPS_IMS_URL, "");
  if (!/^https?:\/\/[^/@\s]+(\/\S*)?$/i.test(url)) {
    const got = url === "" ? "" : `; got ${splitUrlCredentials(url).url}`;
    throw new ConfigError(
      `--image-service ims needs --ims-url <http(s)://host/apis/ims> without credentials (or CFS_GITOPS_IMS_URL)${got}`,
    );
  }
  const tokenFile = flags.imsTokenFile ?? env.CFS_GITOPS_IMS_TOKEN_FILE ?? null;
  if (tokenFile !== null && !existsSync(tokenFile))
    throw new ConfigError(`--ims-token-file ${tokenFile}: no such file`);
  return {
    service: "ims",
    url: url.replace(/\/+$/, ""),
    tokenFile,
    sshNetwork: setting(flags.imsSshNetwork, env.CFS_GITOPS_IMS_SSH_NETWORK, "cluster.local"),
    timeouts: {
      jobReadyMs: imsTimeout(
        "--ims-job-timeout",
        setting(flags.imsJobTimeout, env.CFS_GITOPS_IMS_JOB_TIMEOUT, "30m"),
      ),
      sshReadyMs: imsTimeout(
        "--ims-ssh-timeout",
        setting(flags.imsSshTimeout, env.CFS_GITOPS_IMS_SSH_TIMEOUT, "5m"),
      ),
      resultMs: imsTimeout(
        "--ims-result-timeout",
        setting(flags.imsResultTimeout, env.CFS_GITOPS_IMS_RESULT_TIMEOUT, "60m"),
      ),
    },
  };
}

/** A flag, else its environment variable, else the default. */
function setting(flag: string | undefined, fromEnv: string | undefined, fallback: string): string {
  return flag ?? fromEnv ?? fallback;
}

function imsTimeout(flag: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms <= 0)
    throw new ConfigError(`${flag} ${text}: not a duration (use e.g. 90s, 30m, 2h)`);
  return ms;
}

/** The kubernetes runner's settings (`--runner kubernetes`). */
export interface KubernetesRunnerConfig extends KubernetesJobShape {
  /** A kubeconfig file; null: the pod's service account in a cluster, else KUBECONFIG or ~/.kube/config. */
  kubeconfig: string | null;
  /** The image with cfs-gitops that runs the git-clone, inventory, teardown and report steps. */
  stepImage: string;
  /** The Ansible execution environment (cfs-gitops plus ansible-core) that runs the ansible steps. */
  ansibleImage: string;
  /** `activeDeadlineSeconds` of every Job: a session running longer is stopped and fails. */
  jobDeadlineSeconds: number;
  /** The `kubernetes.io/basic-auth` Secret whose credentials the clone steps use; null: none. */
  gitCredentialsSecret: string | null;
  /** Image sessions (`--image-service ims`): the IMS endpoint and the Secrets the Jobs read; null: none. */
  imageService: JobImageService | null;
  /** `--kube-qps` and `--kube-burst`: the runner's client-side limit of API writes. */
  rate: TokenRate;
}

/** Default `--job-deadline`. */
export const DEFAULT_JOB_DEADLINE = "6h";

/** `--runner` and, for the kubernetes runner, its flags. */
function resolveRunnerConfig(
  flags: ControllerFlags,
  env: Env,
  images: ImageServiceConfig,
): Pick<ControllerConfig, "runner" | "kubernetes" | "sshKey"> {
  const runner = setting(flags.runner, env.CFS_GITOPS_RUNNER, "local");
  const secrets = imsSecrets(flags, env);
  if (runner === "local") {
    if (secrets.token !== null || secrets.sshKey !== null) {
      throw new ConfigError(
        "--ims-token-secret and --ims-ssh-key-secret are for --runner kubernetes (the local runner reads --ims-token-file)",
      );
    }
    const ssh = resolveLocalSshKey(flags, env);
    if (typeof ssh === "string") throw new ConfigError(ssh);
    return { runner, kubernetes: null, sshKey: ssh.sshKey };
  }
  if (runner !== "kubernetes") throw new ConfigError(`--runner ${runner}: use local or kubernetes`);
  const imageService = jobImageService(images, secrets);
  const shape = resolveKubernetesJobShape(flags, env);
  if (typeof shape === "string") throw new ConfigError(shape);
  return {
    runner,
    kubernetes: { ...resolveKubernetesRunner(flags, env), ...shape, imageService },
    sshKey: null,
  };
}

/** `--ims-token-secret` and `--ims-ssh-key-secret`, checked to be Secret names. */
function imsSecrets(flags: ImageFlags, env: Env): { token: string | null; sshKey: string | null } {
  const token = flags.imsTokenSecret ?? env.CFS_GITOPS_IMS_TOKEN_SECRET ?? null;
  const sshKey = flags.imsSshKeySecret ?? env.CFS_GITOPS_IMS_SSH_KEY_SECRET ?? null;
  if (token !== null && !DNS_SUBDOMAIN.test(token))
    throw new ConfigError(`--ims-token-secret ${token}: not a Secret name`);
  if (sshKey !== null && !DNS_SUBDOMAIN.test(sshKey))
    throw new ConfigError(`--ims-ssh-key-secret ${sshKey}: not a Secret name`);
  return { token, sshKey };
}

/**
 * What the Jobs of image sessions get with `--runner kubernetes --image-service ims`: the IMS
 * endpoint, and the token and SSH key by reference to Secrets (a token file on the controller's
 * disk cannot reach a Job). Null with any other image service.
 */
function jobImageService(
  images: ImageServiceConfig,
  secrets: { token: string | null; sshKey: string | null },
): JobImageService | null {
  if (images.service !== "ims") {
    if (secrets.token !== null || secrets.sshKey !== null)
      throw new ConfigError("--ims-token-secret and --ims-ssh-key-secret need --image-service ims");
    return null;
  }
  if (images.tokenFile !== null) {
    throw new ConfigError(
      "--ims-token-file is read by the local runner; with --runner kubernetes pass --ims-token-secret <name>",
    );
  }
  if (secrets.sshKey === null) {
    throw new ConfigError(
      "--runner kubernetes --image-service ims needs --ims-ssh-key-secret <name> (a Secret with id_ed25519 and id_ed25519.pub)",
    );
  }
  return {
    imsUrl: images.url,
    sshKeySecret: secrets.sshKey,
    sshNetwork: images.sshNetwork,
    timeouts: images.timeouts,
    ...(secrets.token === null ? {} : { imsTokenSecret: secrets.token }),
  };
}

function resolveKubernetesRunner(
  flags: ControllerFlags,
  env: Env,
): Omit<KubernetesRunnerConfig, "imageService" | keyof KubernetesJobShape> {
  const kubeconfig = flags.kubeconfig ?? env.CFS_GITOPS_KUBECONFIG ?? null;
  if (kubeconfig !== null && !existsSync(kubeconfig))
    throw new ConfigError(`--kubeconfig ${kubeconfig}: no such file`);
  const secret = flags.gitCredentialsSecret ?? env.CFS_GITOPS_GIT_CREDENTIALS_SECRET ?? null;
  if (secret !== null && !DNS_SUBDOMAIN.test(secret))
    throw new ConfigError(`--git-credentials-secret ${secret}: not a Secret name`);
  const deadline = setting(flags.jobDeadline, env.CFS_GITOPS_JOB_DEADLINE, DEFAULT_JOB_DEADLINE);
  return {
    kubeconfig,
    stepImage: image("--step-image", flags.stepImage ?? env.CFS_GITOPS_STEP_IMAGE),
    ansibleImage: image("--ansible-image", flags.ansibleImage ?? env.CFS_GITOPS_ANSIBLE_IMAGE),
    jobDeadlineSeconds: jobDeadline(deadline),
    gitCredentialsSecret: secret,
    rate: kubeRate(flags, env),
  };
}

function kubeRate(flags: ControllerFlags, env: Env): TokenRate {
  const rate = resolveKubeRate({
    qps: flags.kubeQps ?? env.CFS_GITOPS_KUBE_QPS,
    burst: flags.kubeBurst ?? env.CFS_GITOPS_KUBE_BURST,
  });
  if ("error" in rate) throw new ConfigError(rate.error);
  return rate;
}

function image(flag: string, value: string | undefined): string {
  if (value === undefined || value.trim() === "") {
    const variable = `CFS_GITOPS_${flag.slice(2).replace(/-/g, "_").toUpperCase()}`;
    throw new ConfigError(`--runner kubernetes needs ${flag} <image> (or ${variable})`);
  }
  if (/\s/.test(value)) throw new ConfigError(`${flag} ${value}: an image reference has no spaces`);
  return value;
}

function jobDeadline(text: string): number {
  const ms = parseDuration(text);
  if (ms === null || ms < 1000)
    throw new ConfigError(`--job-deadline ${text}: not a duration of at least 1s (use e.g. 90m, 6h)`);
  return Math.floor(ms / 1000);
}

/** Where the service account's namespace is mounted in a pod. */
export const SERVICE_ACCOUNT_NAMESPACE_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

type ServerConfig = Pick<ControllerConfig, "listen" | "webhookSecret" | "namespace" | "leaderElection">;

/** The HTTP server, webhook and leader election settings. */
function resolveServerConfig(flags: ControllerFlags, env: Env): ServerConfig {
  return {
    listen: resolveListen(flags.listen ?? env.CFS_GITOPS_LISTEN),
    webhookSecret: readWebhookSecret(flags, env),
    namespace: resolveNamespace(flags, env),
    leaderElection: resolveLeaderElection(flags, env),
  };
}

function resolveListen(text: string | undefined): ListenAddress | null {
  if (text === undefined || text === "") return null;
  const listen = parseListenAddress(text);
  if (listen === null)
    throw new ConfigError(`--listen ${text}: expected [host]:port, e.g. :8080 or 127.0.0.1:8080`);
  return listen;
}

function resolveNamespace(flags: ControllerFlags, env: Env): string {
  const namespace =
    flags.namespace ?? env.CFS_GITOPS_NAMESPACE ?? env.POD_NAMESPACE ?? podNamespace() ?? "default";
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`--namespace ${namespace}: not a namespace name`);
  return namespace;
}

function resolveLeaderElection(flags: ControllerFlags, env: Env): ControllerConfig["leaderElection"] {
  if (!(flags.leaderElect ?? isTrue(env.CFS_GITOPS_LEADER_ELECT))) return null;
  if (flags.once) throw new ConfigError("--once and --leader-elect cannot be combined");
  const leaseName = flags.leaseName ?? env.CFS_GITOPS_LEASE_NAME ?? "cfs-gitops";
  if (!DNS_SUBDOMAIN.test(leaseName))
    throw new ConfigError(`--lease-name ${leaseName}: not a Kubernetes object name`);
  const identity = `${env.POD_NAME ?? env.HOSTNAME ?? hostname()}_${randomBytes(4).toString("hex")}`;
  return { leaseName, identity };
}

function isTrue(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes"].includes(value.trim().toLowerCase());
}

function podNamespace(): string | null {
  try {
    return readFileSync(SERVICE_ACCOUNT_NAMESPACE_FILE, "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** The webhook secret from `--webhook-secret-file` / `CFS_GITOPS_WEBHOOK_SECRET_FILE`, else `CFS_GITOPS_WEBHOOK_SECRET`. */
function readWebhookSecret(flags: ControllerFlags, env: Env): string | null {
  const file = flags.webhookSecretFile ?? env.CFS_GITOPS_WEBHOOK_SECRET_FILE;
  let secret = env.CFS_GITOPS_WEBHOOK_SECRET ?? null;
  if (file) {
    try {
      secret = readFileSync(file, "utf8").trim();
    } catch {
      throw new ConfigError(`webhook secret file ${file}: cannot be read`);
    }
    if (secret === "") throw new ConfigError(`webhook secret file ${file}: is empty`);
  }
  return secret === "" ? null : secret;
}
