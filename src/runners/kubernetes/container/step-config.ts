/**
 * What a `cfs-gitops step <name>` container is told through its environment (the Job that buildJob
 * writes sets it), resolved once into a frozen StepConfig. Pure: the environment comes in as data.
 */
import type { Credentials } from "../../../git/credentials.js";
import {
  DEBUG_RELEASE_FILE,
  ENV,
  JOB_LAYOUTS,
  MAX_TERMINATION_MESSAGE_BYTES,
  RESULTS_DIR,
  RUN_SPEC_PATH,
  STEP_KINDS,
  TERMINATION_MESSAGE_PATH,
  WORK_DIR,
  type JobLayout,
  type StepKind,
} from "../../../jobs/index.js";
import type { SourceDirs } from "../../local/source-access.js";
import { cloneRetryFromEnv, type CloneRetry } from "../../steps/clone-steps.js";

/** Defined with StepKind in jobs/job-steps.ts; re-exported for the `step` command. */
export { STEP_KINDS };

/** Everything one step container needs. Credentials are never logged. */
export interface StepConfig {
  kind: StepKind;
  /** The Job's layout (CFS_JOB_LAYOUT; `per-layer` for Jobs made before it existed). */
  layout: JobLayout;
  /** The layer's index, for `git-clone` and `ansible` of the per-layer layout; else null. */
  layer: number | null;
  /** Container name: `git-clone-0`, `git-clone`, `inventory`, `ansible-2`, `ansible`, `report`, ... */
  name: string;
  runSpecFile: string;
  /** The gzip-compressed components JSON of a dynamic session (`inventory`); null: the RunSpec's. */
  componentsFile: string | null;
  workDir: string;
  resultsDir: string;
  terminationMessagePath: string;
  terminationMessageBytes: number;
  gitCredentials: Credentials | null;
  /** Where the ansible config ConfigMap is mounted (ansible steps); null when not mounted. */
  ansibleConfigDir: string | null;
  /** Image targets: the IMS endpoint and client settings (`inventory`, `teardown`); null when not given. */
  ims: StepImsConfig | null;
  /** Image targets: where the SSH key Secret is mounted; null when not mounted. */
  sshKeyDir: string | null;
  /** Node sessions with `--node-ssh-secret`: where that Secret is mounted (ansible steps); null: not mounted. */
  nodeSshKeyDir: string | null;
  /** Clone containers of source layers: where the sources' Secrets and CA ConfigMaps are mounted; null: none. */
  sourceDirs: SourceDirs | null;
  /** debug_on_failure: the file that ends the wait, and where the container runs (for the release command). */
  debug: { releaseFile: string; namespace: string | null; pod: string | null };
  /** Clone retries, from the container's GIT_RETRY_MAX and GIT_RETRY_DELAY (CFS's defaults when unset). */
  cloneRetry: CloneRetry;
}

/** How an image step reaches IMS. The token is never logged. */
export interface StepImsConfig {
  url: string;
  /** Bearer token (from a Secret); null: none sent. */
  token: string | null;
  sshNetwork: string;
  /** The user the jails log in as; null: the client's default (root). */
  sshUser: string | null;
  /** Milliseconds between two looks at a job; null: the client's default. */
  pollMs: number | null;
  timeouts: Partial<{ jobReadyMs: number; sshReadyMs: number; resultMs: number }>;
}

/** Inputs of resolveStepConfig: the command line and the environment. */
export interface StepConfigInput {
  kind: string;
  layer?: string;
  env: Readonly<Record<string, string | undefined>>;
}

const LAYER_KINDS: readonly StepKind[] = ["git-clone", "ansible"];

/** The configuration of a step container, or the one line that says what is wrong. */
export function resolveStepConfig(input: StepConfigInput): Readonly<StepConfig> | { error: string } {
  const kind = STEP_KINDS.find((k) => k === input.kind);
  if (kind === undefined)
    return { error: `unknown step "${input.kind}": use one of ${STEP_KINDS.join(", ")}` };
  const layout = JOB_LAYOUTS.find((l) => l === (nonEmpty(input.env[ENV.jobLayout]) ?? "per-layer"));
  if (layout === undefined)
    return { error: `${ENV.jobLayout} ${input.env[ENV.jobLayout] ?? ""}: use ${JOB_LAYOUTS.join(" or ")}` };
  const layer = stepLayer({ kind, layout, text: input.layer });
  if (typeof layer === "string") return { error: layer };
  const paths = stepPaths(input.env);
  const budget = messageBudget(input.env[ENV.terminationMessageBytes]);
  if (typeof budget === "string") return { error: budget };
  const credentials = gitCredentials(input.env);
  if (credentials === "partial") {
    return { error: `${ENV.gitUsername} and ${ENV.gitPassword} must be set together` };
  }
  const ims = imsConfig(input.env);
  if ("error" in ims) return ims;
  return Object.freeze({
    kind,
    layout,
    layer,
    name: layer === null ? kind : `${kind}-${layer}`,
    ...paths,
    componentsFile: nonEmpty(input.env[ENV.componentsFile]),
    terminationMessagePath: nonEmpty(input.env[ENV.terminationMessagePath]) ?? TERMINATION_MESSAGE_PATH,
    terminationMessageBytes: budget,
    gitCredentials: credentials,
    ansibleConfigDir: nonEmpty(input.env[ENV.ansibleConfigDir]),
    ims: ims.ims,
    sshKeyDir: nonEmpty(input.env[ENV.sshKeyDir]),
    nodeSshKeyDir: nonEmpty(input.env[ENV.nodeSshKeyDir]),
    cloneRetry: cloneRetryFromEnv(input.env),
    sourceDirs: sourceDirs(input.env),
    debug: {
      releaseFile: nonEmpty(input.env[ENV.debugReleaseFile]) ?? DEBUG_RELEASE_FILE,
      namespace: nonEmpty(input.env[ENV.namespace]),
      pod: nonEmpty(input.env[ENV.podName]),
    },
  });
}

/** The IMS settings of an image step (none without CFS_IMS_URL), or the one line that says what is wrong. */
function imsConfig(env: StepConfigInput["env"]): { ims: StepImsConfig | null } | { error: string } {
  const url = nonEmpty(env[ENV.imsUrl]);
  if (url === null) return { ims: null };
  const numbers: Record<string, number> = {};
  for (const name of [ENV.imsPollMs, ENV.imsJobTimeoutMs, ENV.imsSshTimeoutMs, ENV.imsResultTimeoutMs]) {
    const text = nonEmpty(env[name]);
    if (text === null) continue;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1)
      return { error: `${name} ${text}: must be a whole number of milliseconds` };
    numbers[name] = value;
  }
  const timeouts: StepImsConfig["timeouts"] = {};
  const set = (key: keyof StepImsConfig["timeouts"], name: string): void => {
    const value = numbers[name];
    if (value !== undefined) timeouts[key] = value;
  };
  set("jobReadyMs", ENV.imsJobTimeoutMs);
  set("sshReadyMs", ENV.imsSshTimeoutMs);
  set("resultMs", ENV.imsResultTimeoutMs);
  return {
    ims: {
      url,
      token: nonEmpty(env[ENV.imsToken]),
      sshNetwork: nonEmpty(env[ENV.imsSshNetwork]) ?? "cluster.local",
      sshUser: nonEmpty(env[ENV.imsSshUser]),
      pollMs: numbers[ENV.imsPollMs] ?? null,
      timeouts,
    },
  };
}

/**
 * The layer index of a step, or what is wrong with `--layer`: the per-layer layout's `git-clone`
 * and `ansible` need one; the cfs layout's do every layer and take none.
 */
function stepLayer(input: {
  kind: StepKind;
  layout: JobLayout;
  text: string | undefined;
}): number | null | string {
  const { kind, layout, text } = input;
  const needsLayer = layout === "per-layer" && LAYER_KINDS.includes(kind);
  if (!needsLayer) return text === undefined ? null : `step ${kind} takes no --layer`;
  if (text === undefined) return `step ${kind} needs --layer <index>`;
  if (!/^[0-9]{1,9}$/.test(text)) return `--layer ${text}: not a layer index (a whole number of at least 0)`;
  return Number(text);
}

/** The image's paths (what a session Job mounts), unless the environment moves them (tests, a kubelet stand-in). */
function stepPaths(env: StepConfigInput["env"]): Pick<StepConfig, "runSpecFile" | "workDir" | "resultsDir"> {
  return {
    runSpecFile: nonEmpty(env[ENV.runSpecFile]) ?? RUN_SPEC_PATH,
    workDir: nonEmpty(env[ENV.workDir]) ?? WORK_DIR,
    resultsDir: nonEmpty(env[ENV.resultsDir]) ?? RESULTS_DIR,
  };
}

function messageBudget(text: string | undefined): number | string {
  if (text === undefined || text === "") return MAX_TERMINATION_MESSAGE_BYTES;
  const bytes = Number(text);
  if (!Number.isInteger(bytes) || bytes < 1) {
    return `${ENV.terminationMessageBytes} ${text}: must be a whole number of bytes`;
  }
  return Math.min(bytes, MAX_TERMINATION_MESSAGE_BYTES);
}

function gitCredentials(env: StepConfigInput["env"]): Credentials | null | "partial" {
  const username = nonEmpty(env[ENV.gitUsername]);
  const password = nonEmpty(env[ENV.gitPassword]);
  if (username === null && password === null) return null;
  if (username === null || password === null) return "partial";
  return { username, password };
}

function sourceDirs(env: StepConfigInput["env"]): SourceDirs | null {
  const secretsDir = nonEmpty(env[ENV.sourceSecretsDir]);
  const configMapsDir = nonEmpty(env[ENV.sourceCaDir]);
  return secretsDir === null || configMapsDir === null ? null : { secretsDir, configMapsDir };
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value;
}
