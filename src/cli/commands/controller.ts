/** `cfs-gitops controller`: watch the repository, run sessions, write the status branch. */
import type { Command } from "commander";
import type { Logger } from "pino";
import { failureMessage } from "../../api/index.js";
import { Controller } from "../../controller/index.js";
import {
  resolveApiConfig,
  startApi,
  type ApiConfig,
  type ApiFlags,
  type RunningApi,
} from "../api-service.js";
import {
  ConfigError,
  resolveControllerConfig,
  type ControllerConfig,
  type ControllerFlags,
} from "../config.js";
import { acquireControllerLock } from "../controller-lock.js";
import { ControllerServices } from "../controller-services.js";
import { CliError } from "../errors.js";
import { createLogger } from "../logger.js";
import { openRepository } from "../open-repo.js";
import { loadKubeConfig, localSourceDirs, openRunner } from "../open-runner.js";
import { sourceBranchResolver } from "../../runners/local/index.js";
import { addRepoOptions } from "../repo-options.js";
import { openImageService } from "./images.js";
import { RECONCILE_SIGNAL } from "./reconcile.js";
import { signingFromKeyFile } from "../../git/sign-commit.js";
import { openVerification } from "../open-verification.js";
import { addTrustOptions, resolveTrustConfig, type TrustFlags } from "../trust-config.js";
import { addForgeOptions, resolveForgeConfig, type ForgeFlags } from "../forge-config.js";
import { controllerForge } from "../forge-services.js";

/** Registers `controller`. */
export function registerController(program: Command): void {
  const command = addRepoOptions(
    program
      .command("controller")
      .description("watch the configuration repository, run its sessions and commit their status")
      .option(
        "--once",
        "reconcile the current tip, wait for the sessions it started to finish, then exit (non-zero, with the reason, when a pass fails or the time runs out)",
      )
      .option("--timeout <duration>", "with --once: the longest wait, e.g. 90s, 30m (default 1h)")
      .option(
        "--log-format <format>",
        "log lines on stderr: json (one object a line) or pretty (readable on a terminal) [env CFS_GITOPS_LOG_FORMAT] (default json)",
      )
      .option(
        "--wait-lock",
        "when another controller holds this data directory or repository, wait for it to stop (default: refuse, naming its pid)",
      )
      .option(
        "--poll-interval <duration>",
        "remote repositories: how often to poll (e.g. 30s, 5m) [env CFS_GITOPS_POLL_INTERVAL]",
      )
      .option("--max-concurrent <n>", "sessions running at once [env CFS_GITOPS_MAX_CONCURRENT]", undefined)
      .option(
        "--listen <[host]:port>",
        "serve /healthz, /readyz, /metrics and POST /hooks/git, e.g. :8080 [env CFS_GITOPS_LISTEN] (default: off)",
      )
      .option(
        "--webhook-secret-file <file>",
        "shared secret of POST /hooks/git: GitHub/Gitea HMAC key, GitLab token [env CFS_GITOPS_WEBHOOK_SECRET_FILE or CFS_GITOPS_WEBHOOK_SECRET]",
      )
      .option(
        "--leader-elect",
        "run the loop only while holding a coordination.k8s.io Lease [env CFS_GITOPS_LEADER_ELECT=true]",
      )
      .option(
        "--lease-name <name>",
        "the Lease of --leader-elect (default cfs-gitops) [env CFS_GITOPS_LEASE_NAME]",
      )
      .option(
        "--namespace <namespace>",
        "Kubernetes namespace of the Lease and of the sessions' Jobs (default: the pod's) [env CFS_GITOPS_NAMESPACE or POD_NAMESPACE]",
      )
      .option(
        "--runner <runner>",
        "where sessions run: local (processes on this machine) or kubernetes (one Job each) [env CFS_GITOPS_RUNNER] (default local)",
      )
      .option(
        "--kubeconfig <file>",
        "kubernetes: the cluster (default: the pod's service account, else KUBECONFIG or ~/.kube/config) [env CFS_GITOPS_KUBECONFIG]",
      )
      .option(
        "--step-image <image>",
        "kubernetes: image of the git-clone, inventory and report steps [env CFS_GITOPS_STEP_IMAGE]",
      )
      .option(
        "--ansible-image <image>",
        "kubernetes: image of the ansible-<i> steps [env CFS_GITOPS_ANSIBLE_IMAGE]",
      )
      .option(
        "--job-deadline <duration>",
        "kubernetes: longest a session may run before its Job is stopped (activeDeadlineSeconds) [env CFS_GITOPS_JOB_DEADLINE] (default 6h)",
      )
      .option(
        "--kube-qps <n>",
        "kubernetes: Job and ConfigMap writes a second at most, after a burst [env CFS_GITOPS_KUBE_QPS] (default 50)",
      )
      .option(
        "--kube-burst <n>",
        "kubernetes: writes that may go at once before --kube-qps spaces them [env CFS_GITOPS_KUBE_BURST] (default 100)",
      )
      .option(
        "--git-credentials-secret <name>",
        "kubernetes: basic-auth Secret (username, password) the clone steps use [env CFS_GITOPS_GIT_CREDENTIALS_SECRET]",
      )
      .option(
        "--job-layout <layout>",
        "kubernetes: cfs (one git-clone, inventory, one ansible container for all layers, teardown: today's CFS) or per-layer (git-clone-<i>, ansible-<i>: CFS before 2023) [env CFS_GITOPS_JOB_LAYOUT] (default cfs)",
      )
      .option(
        "--node-ssh-secret <name>",
        "kubernetes: Secret with the SSH key (id_ecdsa, id_ed25519 or id_rsa; optional <key>-cert.pub) node sessions' ansible logs in to nodes with; never image sessions [env CFS_GITOPS_NODE_SSH_SECRET]",
      )
      .option(
        "--ssh-key <file>",
        "local: SSH private key node sessions' ansible logs in to nodes with (mode 0600 or 0400); never image sessions [env CFS_GITOPS_SSH_KEY]",
      )
      .option(
        "--step-env <name>",
        "let steps (git, ansible-playbook) also get this variable of the controller's environment (of the container's on kubernetes); repeatable or comma-separated; CFS_GITOPS_* and credentials never pass [env CFS_GITOPS_STEP_ENV]",
        (name: string, names: string[] = []) => [...names, name],
      )
      .option(
        "--image-service <service>",
        "image sessions: local (the image store in the data directory), ims or none [env CFS_GITOPS_IMAGE_SERVICE] (default local)",
      )
      .option(
        "--ims-url <url>",
        "Cray IMS base URL, e.g. https://api-gw-service-nmn.local/apis/ims [env CFS_GITOPS_IMS_URL]",
      )
      .option(
        "--ims-token-file <file>",
        "bearer token for IMS, read for every request [env CFS_GITOPS_IMS_TOKEN_FILE]",
      )
      .option(
        "--ims-ssh-network <name>",
        "the connection_info entry of IMS SSH jails to use: cluster.local or customer_access [env CFS_GITOPS_IMS_SSH_NETWORK] (default cluster.local)",
      )
      .option(
        "--ims-job-timeout <duration>",
        "longest wait for an IMS job to reach waiting_on_user (default 30m)",
      )
      .option("--ims-ssh-timeout <duration>", "longest wait for an IMS job's SSH jail to answer (default 5m)")
      .option("--ims-result-timeout <duration>", "longest wait for an IMS job's result image (default 60m)")
      .option(
        "--ims-token-secret <name>",
        "kubernetes + ims: Secret whose key token is the IMS bearer token, read by the Jobs [env CFS_GITOPS_IMS_TOKEN_SECRET]",
      )
      .option(
        "--ims-ssh-key-secret <name>",
        "kubernetes + ims: Secret with the image sessions' SSH key pair (id_ed25519, id_ed25519.pub) [env CFS_GITOPS_IMS_SSH_KEY_SECRET]",
      )
      .option(
        "--api-listen <[host]:port>",
        "serve the CFS v3 REST API (HTTPS), e.g. :8443 [env CFS_GITOPS_API_LISTEN] (default: off)",
      )
      .option("--api-cert <file>", "REST API: PEM serving certificate [env CFS_GITOPS_API_CERT]")
      .option("--api-key <file>", "REST API: PEM private key [env CFS_GITOPS_API_KEY]")
      .option(
        "--api-tokens-file <file>",
        "REST API: bearer tokens, one '<token> <read|write> <name>' per line, re-read on change [env CFS_GITOPS_API_TOKENS_FILE]",
      )
      .option(
        "--api-jwks-file <file>",
        "REST API: also accept bearer JWTs (RS256/ES256) signed by a key of this JWKS, re-read on change [env CFS_GITOPS_API_JWKS_FILE]",
      )
      .option("--api-jwt-issuer <iss>", "REST API: the iss a JWT must carry [env CFS_GITOPS_API_JWT_ISSUER]")
      .option(
        "--api-jwt-audience <aud>",
        "REST API: an aud a JWT must carry; also the client of resource_access roles [env CFS_GITOPS_API_JWT_AUDIENCE]",
      )
      .option(
        "--api-jwt-write-role <role>",
        "REST API: the realm or client role that may write; others read (default admin) [env CFS_GITOPS_API_JWT_WRITE_ROLE]",
      )
      .option("--api-insecure", "REST API: plain HTTP, allowed only on a loopback address")
      .option(
        "--api-branch <name>",
        "REST API: commit every write to this branch (from the watched one) for a pull request, answering 202 [env CFS_GITOPS_API_BRANCH]",
      )
      .option(
        "--api-write-rate <n>",
        "REST API: writes a second per caller, bursts of 5x; more get 429 (0: unlimited) [env CFS_GITOPS_API_WRITE_RATE] (default 10)",
      )
      .option(
        "--api-prefix <path>",
        "REST API: path prefix besides /v3 (default /apis/cfs) [env CFS_GITOPS_API_PREFIX]",
      )
      .addHelpText(
        "after",
        `
With --verify-commits only commits signed by an allowed key are taken in (README "Signed commits").

A local path is watched (a commit is seen within a second); an http(s) URL is polled.
Credentials for a remote come from --git-credentials-file or CFS_GITOPS_GIT_USERNAME and
CFS_GITOPS_GIT_PASSWORD (or CFS_GITOPS_GIT_TOKEN); they are never logged.

Examples:
  cfs-gitops controller --repo ./site-config
  cfs-gitops controller --repo https://git.example.org/site/config.git --poll-interval 1m
  cfs-gitops controller --repo ./site-config --once
  cfs-gitops controller --repo https://git.example.org/site/config.git --listen :8080 --leader-elect
  cfs-gitops controller --repo https://git.example.org/site/config.git --runner kubernetes \\
    --step-image registry.example.org/cfs-gitops:0.1.0 --ansible-image registry.example.org/cfs-gitops-ansible:0.1.0 \\
    --git-credentials-secret cfs-gitops-git`,
      ),
    { logLevel: "info" },
  );
  addForgeOptions(command);
  addTrustOptions(command, { controller: true }).action(async (flags: ControllerCommandFlags) => {
    await runController(flags);
  });
}

type ControllerCommandFlags = ControllerFlags &
  TrustFlags &
  ApiFlags &
  ForgeFlags & {
    logLevel?: string;
    waitLock?: boolean;
    logFormat?: string;
  };

async function runController(flags: ControllerCommandFlags): Promise<void> {
  const config = resolveControllerConfig(flags, process.env);
  const log = createLogger({ level: flags.logLevel ?? "info", format: logFormat(flags.logFormat) });
  const lock = await acquireControllerLock({ config, log, wait: flags.waitLock === true });
  try {
    await runLockedController({ flags, config, log });
  } finally {
    await lock.release();
  }
}

async function runLockedController(input: {
  flags: ControllerCommandFlags;
  config: ControllerConfig;
  log: Logger;
}): Promise<void> {
  const { flags, config, log } = input;
  const trust = resolveTrustConfig(flags, process.env);
  const apiConfig = resolveApiConfig(flags, process.env);
  const forgeConfig = resolveForgeConfig(flags, process.env, config);
  const signing = await signingFromKeyFile(trust.signingKey);
  const repo = await openRepository({ config, log, pollIntervalMs: config.pollIntervalMs, signing });
  const kubeConfig =
    config.kubernetes === null ? null : loadKubeConfig(config.kubernetes.kubeconfig, process.env);
  const services = new ControllerServices({
    config,
    log,
    gitDir: repo.gitDir,
    ...(kubeConfig === null ? {} : { kubeConfig }),
  });
  const runner = await openRunner({
    config,
    log,
    images: config.runner === "local" ? await openImageService({ config: config.images, log }) : null,
    kubeConfig,
    onJobCreated: services.metrics.jobCreated,
  });
  const parts = services.instrument({ source: repo.source, status: repo.status, runner });
  const verification = await openVerification({
    ...parts,
    config: trust.verify,
    gitDir: repo.gitDir,
    dataDir: config.dataDir,
    branch: config.branch,
    log,
    metrics: services.metrics,
  });
  services.commitVerification = verification.readiness;
  const forge = controllerForge({ forge: forgeConfig, repo: config, log, services });
  const controller: Controller = new Controller({
    ...parts,
    source: verification.source,
    log,
    // Branch layers of sources are pinned with the source's credentials, read from the data
    // directory's secrets/ and configmaps/ (with the kubernetes runner: the Secrets mounted there).
    resolveBranch: sourceBranchResolver(localSourceDirs(config)),
    onPass: (report) => services.recordPass(report, controller.records, controller.health),
    onFailure: (failure) => services.recordFailure(failure, controller.health),
    ...forge.hooks,
  });
  log.info(
    {
      repo: repo.source.description,
      branch: config.branch,
      statusBranch: config.statusBranch,
      dataDir: config.dataDir,
    },
    "controller starting",
  );
  const api = await startApiIfAsked({
    api: apiConfig,
    services,
    start: (apiConfig) =>
      // The controller's source: reads see the tips its passes fetched (verified ones only).
      startApi({ api: apiConfig, repo: config, source: verification.source, gitDir: repo.gitDir, log }),
  });
  const shutdown = async (): Promise<void> => {
    await api?.close();
    await controller.stop();
    await forge.close();
    await runner.close();
    await repo.close();
    await verification.close();
    await signing?.close?.();
  };
  reconcileOnSignal({ controller, log });
  if (config.once) {
    await runOnce({ controller, timeoutMs: config.onceTimeoutMs, shutdown });
    return;
  }
  const outcome = await services.run({
    controller,
    runner,
    signal: stopSignal(log),
    loopHealth: () => controller.health,
  });
  await api?.close();
  await forge.close();
  await runner.close();
  await repo.close();
  await verification.close();
  await signing?.close?.();
  if (outcome === "lost")
    throw new CliError("lost the leader lease; exiting so this replica starts again as a candidate");
}

/** Starts the REST API when `--api-listen` asks for it, and makes `/readyz` report its listener. */
async function startApiIfAsked(input: {
  api: ApiConfig | null;
  services: ControllerServices;
  start: (api: ApiConfig) => Promise<RunningApi>;
}): Promise<RunningApi | null> {
  if (input.api === null) return null;
  const api = await input.start(input.api);
  input.services.apiListener = api.listener;
  return api;
}

/**
 * `--once`: passes until every session is complete. A pass that fails (bad credentials, an
 * unreachable remote, a missing branch) or a timeout ends it with one line saying why, exit 1.
 */
async function runOnce(input: {
  controller: Controller;
  timeoutMs: number;
  shutdown: () => Promise<void>;
}): Promise<void> {
  const { controller, timeoutMs, shutdown } = input;
  let settled: boolean;
  try {
    settled = await controller.runUntilSettled({ timeoutMs });
  } catch (error) {
    await shutdown();
    throw new CliError(`controller --once: the pass failed: ${failureMessage(error)}`);
  }
  await shutdown();
  if (settled) return;
  const unfinished = [...controller.records.sessions.values()]
    .filter((record) => record.status.session.status !== "complete")
    .map((record) => record.name);
  const names = unfinished.slice(0, 5).join(", ") + (unfinished.length > 5 ? ", ..." : "");
  throw new CliError(
    `controller --once: timed out after ${formatDuration(timeoutMs)} with ${unfinished.length} session(s) unfinished: ${names}`,
  );
}

/** A duration in the largest whole unit: 90 s -> 90s, 3600 s -> 1h. */
function formatDuration(ms: number): string {
  for (const [unit, size] of [
    ["h", 3_600_000],
    ["m", 60_000],
    ["s", 1_000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** `--log-format` (else CFS_GITOPS_LOG_FORMAT): json lines (the default) or pretty lines for a terminal. */
function logFormat(flag: string | undefined): "json" | "pretty" {
  const text = flag ?? process.env["CFS_GITOPS_LOG_FORMAT"] ?? "json";
  if (text !== "json" && text !== "pretty") throw new ConfigError(`--log-format ${text}: use json or pretty`);
  return text;
}

/** `cfs-gitops reconcile` sends SIGHUP: a pass now, instead of at the next poll. */
function reconcileOnSignal(input: { controller: Controller; log: Logger }): void {
  process.on(RECONCILE_SIGNAL, () => {
    input.log.info({ signal: RECONCILE_SIGNAL }, "reconcile requested");
    input.controller.trigger("reconcile");
  });
}

/** Aborts on SIGINT or SIGTERM. */
function stopSignal(log: Logger): AbortSignal {
  const stop = new AbortController();
  const onSignal = (signal: string): void => {
    log.info({ signal }, "stopping; runs in flight keep going and are picked up on the next start");
    stop.abort();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  return stop.signal;
}
