/**
 * The batch/v1 Job of one session (the kubernetes runner). One pod runs the pipeline of DESIGN.md
 * 2.4 as init containers, strictly in order, so `kubectl logs job/<job> -c ansible-2` shows layer 2
 * and the pod's resource request is the largest step's, not the sum over layers.
 */
import type {
  V1Container,
  V1EnvVar,
  V1Job,
  V1PodSpec,
  V1ResourceRequirements,
  V1Volume,
  V1VolumeMount,
} from "@kubernetes/client-node";
import {
  LABEL_AEE,
  LABEL_CONFIGURATION,
  LABEL_MANAGED_BY,
  LABEL_SESSION,
  MANAGED_BY,
  labelValue,
  type RunSpec,
} from "../api/index.js";
import {
  ANNOTATION_CONFIGURATION,
  ANNOTATION_DEFAULT_CONTAINER,
  ANNOTATION_RUN_SPEC,
  ANNOTATION_SESSION,
  ANNOTATION_SOURCE_COMMIT,
  ANSIBLE_CONFIG_DIR,
  APP_NAME,
  COMPONENTS_FILE,
  ENV,
  GIT_SECRET_PASSWORD_KEY,
  GIT_SECRET_USERNAME_KEY,
  INVENTORY_DIR,
  LABEL_INSTANCE,
  LABEL_NAME,
  NODE_SSH_KEY_DIR,
  RUN_SPEC_DIR,
  RUN_SPEC_FILE,
  TERMINATION_MESSAGE_PATH,
  WORK_DIR,
} from "./constants.js";
import { checkCfsLayoutFits } from "./check-layout.js";
import { checkRunSpec } from "./check-run-spec.js";
import { imageStepEnv, imageStepMounts, imageVolumes, type JobImageService } from "./image-steps.js";
import { inventoryConfigMapName, usesInventoryConfigMap } from "./inventory-config-map.js";
import {
  DEFAULT_LIBRARY_JOB_LAYOUT,
  isImageTarget,
  jobSteps,
  stepCommand,
  type JobLayout,
  type JobStep,
} from "./job-steps.js";
import { sourceStepEnv, sourceStepMounts, sourceVolumes } from "./source-volumes.js";
import { terminationMessageBudget } from "./step-message.js";

/** Container images: the step image (git, inventory, teardown, report) and the Ansible execution environment. */
export interface JobImages {
  step: string;
  ansible: string;
}

/** Resource requirements per image kind; the ansible one applies to every `ansible-<i>` container. */
export interface JobResources {
  step?: V1ResourceRequirements;
  ansible?: V1ResourceRequirements;
}

/** Site settings of the kubernetes runner. */
export interface JobOptions {
  /**
   * Seconds a finished Job (and its pod and logs) is kept before Kubernetes deletes it; null keeps
   * it until the controller removes it (a `session_ttl` of "": sessions never expire).
   */
  ttlSecondsAfterFinished: number | null;
  /** Seconds the whole session may run before Kubernetes stops it (the Job fails with DeadlineExceeded). */
  activeDeadlineSeconds: number;
  /** A `kubernetes.io/basic-auth` Secret (keys `username`, `password`) the git-clone steps read as env. */
  gitCredentialsSecret?: string;
  /** The site's allow-list (`--step-env`): names of the container's environment its programs also get. */
  stepEnv?: readonly string[];
  /** The ConfigMap (key `ansible.cfg`) to mount; default: the one named by `spec.ansibleConfig`. */
  ansibleConfigMap?: string;
  resources?: JobResources;
  /** Service account of the pod; its token is never mounted (the steps do not call the Kubernetes API). */
  serviceAccountName?: string;
  /** Image targets: the IMS endpoint and the Secrets (token, SSH key) of `inventory`, `ansible-<i>` and `teardown`. */
  imageService?: JobImageService;
  /** The pod layout (see JOB_LAYOUTS); default `per-layer` here, `cfs` from the CLI (`--job-layout`). */
  layout?: JobLayout;
  /**
   * Clone retries, given to the git-clone containers as CFS's `GIT_RETRY_MAX` (tries in all) and
   * `GIT_RETRY_DELAY` (seconds); absent: the containers' default (CFS's 60 tries, 10 s apart).
   */
  cloneRetry?: { attempts: number; delayMs: number };
  /**
   * A Secret with the SSH key (`id_ecdsa`, `id_ed25519` or `id_rsa`, and optionally its
   * `<key>-cert.pub` certificate, as cfs-trust issues them) that node sessions' ansible containers
   * log in to live nodes with (`--node-ssh-secret`); never mounted in image sessions.
   */
  nodeSshSecret?: string;
}

/** Everything buildJob needs, as one options object. */
export interface BuildJobInput {
  spec: RunSpec;
  namespace: string;
  images: JobImages;
  options: JobOptions;
}

const WORK_VOLUME = "work";
const RUN_SPEC_VOLUME = "run-spec";
const ANSIBLE_CONFIG_VOLUME = "ansible-config";
const INVENTORY_VOLUME = "inventory";
const NODE_SSH_VOLUME = "node-ssh-key";

/**
 * The Job that runs `spec`. Every init step records its result and exits 0, later steps skip
 * themselves after a failure, and the last container (`teardown` for image targets, else `report`)
 * always runs and fails the Job when any step failed. Throws BuildJobError for a spec that cannot
 * become a valid Job (bad name, duplicate layer index, spec too large for an annotation, more
 * layers than the cfs layout can report).
 */
export function buildJob(input: BuildJobInput): V1Job {
  const { spec, namespace, options } = input;
  // The components of a dynamic session go in the Job's inventory ConfigMap, not the annotation.
  const runSpecJson = checkRunSpec(usesInventoryConfigMap(spec) ? { ...spec, components: [] } : spec);
  const layout = options.layout ?? DEFAULT_LIBRARY_JOB_LAYOUT;
  const steps = jobSteps(spec, layout);
  if (layout === "cfs") checkCfsLayoutFits(spec, terminationMessageBudget(steps.length));
  const containers = steps.map((step) =>
    stepContainer({ step, input, budget: terminationMessageBudget(steps.length) }),
  );
  const labels = jobLabels(spec);
  const annotations = jobAnnotations(spec);
  // `kubectl logs job/<job>` shows the playbooks' output in the cfs layout, as CFS's runbooks expect.
  const last = layout === "cfs" ? "ansible" : (containers.at(-1)?.name ?? "");
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: spec.job, namespace, labels, annotations },
    spec: {
      backoffLimit: 0,
      ...(options.ttlSecondsAfterFinished === null
        ? {}
        : { ttlSecondsAfterFinished: options.ttlSecondsAfterFinished }),
      activeDeadlineSeconds: options.activeDeadlineSeconds,
      template: {
        metadata: {
          labels,
          annotations: {
            ...annotations,
            [ANNOTATION_RUN_SPEC]: runSpecJson,
            [ANNOTATION_DEFAULT_CONTAINER]: last,
          },
        },
        spec: podSpec({ input, steps, containers }),
      },
    },
  };
}

/** Labels of the Job and its pod: ours, and the ones CFS puts on its session pods. */
export function jobLabels(spec: Pick<RunSpec, "name" | "job" | "configurationName">): Record<string, string> {
  return {
    [LABEL_NAME]: APP_NAME,
    [LABEL_MANAGED_BY]: MANAGED_BY,
    [LABEL_INSTANCE]: labelValue(spec.job),
    [LABEL_SESSION]: labelValue(spec.name),
    [LABEL_AEE]: labelValue(spec.name),
    [LABEL_CONFIGURATION]: labelValue(spec.configurationName),
  };
}

function jobAnnotations(spec: RunSpec): Record<string, string> {
  return {
    [ANNOTATION_SESSION]: spec.name,
    [ANNOTATION_CONFIGURATION]: spec.configurationName,
    [ANNOTATION_SOURCE_COMMIT]: spec.sourceCommit,
  };
}

function podSpec(args: { input: BuildJobInput; steps: JobStep[]; containers: V1Container[] }): V1PodSpec {
  const { input, steps, containers } = args;
  const account = input.options.serviceAccountName;
  return {
    restartPolicy: "Never",
    initContainers: containers.filter((_, i) => steps[i]?.init === true),
    containers: containers.filter((_, i) => steps[i]?.init === false),
    volumes: volumes(input, steps),
    enableServiceLinks: false,
    automountServiceAccountToken: false,
    // The steps need no privileges, so Jobs run in namespaces that enforce the "restricted" Pod
    // Security Standard; the images run as a numeric non-root user.
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    ...(account === undefined ? {} : { serviceAccountName: account }),
  };
}

function volumes(input: BuildJobInput, steps: JobStep[]): V1Volume[] {
  const fieldPath = `metadata.annotations['${ANNOTATION_RUN_SPEC}']`;
  const list: V1Volume[] = [
    { name: WORK_VOLUME, emptyDir: {} },
    { name: RUN_SPEC_VOLUME, downwardAPI: { items: [{ path: RUN_SPEC_FILE, fieldRef: { fieldPath } }] } },
  ];
  if (steps.some((step) => step.kind === "ansible")) list.push(ansibleConfigVolume(input));
  if (usesInventoryConfigMap(input.spec)) {
    // Required: the runner creates it right after the Job; the pod waits for it, never runs without.
    list.push({ name: INVENTORY_VOLUME, configMap: { name: inventoryConfigMapName(input.spec.job) } });
  }
  list.push(...imageVolumes(imageInput(input)));
  list.push(...sourceVolumes(input.spec));
  const nodeKey = nodeSshSecret(input);
  if (nodeKey !== null)
    list.push({ name: NODE_SSH_VOLUME, secret: { secretName: nodeKey, defaultMode: 0o400 } });
  return list;
}

/**
 * The ansible config ConfigMap, always optional: the ansible step prefers the repository's text
 * (in the RunSpec), then this ConfigMap's `ansible.cfg`, and decides itself what a missing config
 * means. A required ConfigMap that is missing would instead hold the pod in ContainerCreating,
 * silently, until activeDeadlineSeconds.
 */
function ansibleConfigVolume(input: BuildJobInput): V1Volume {
  const name = input.options.ansibleConfigMap ?? input.spec.ansibleConfig;
  return { name: ANSIBLE_CONFIG_VOLUME, configMap: { name, optional: true } };
}

function stepContainer(args: { step: JobStep; input: BuildJobInput; budget: number }): V1Container {
  const { step, input } = args;
  const resources = input.options.resources?.[step.image];
  return {
    name: step.name,
    image: input.images[step.image],
    command: stepCommand(step),
    workingDir: WORK_DIR,
    env: [
      ...baseEnv(args),
      ...gitEnv(step, input.options),
      ...cloneRetryEnv(step, input.options),
      ...sourceStepEnv(input.spec, step),
      ...ansibleEnv(step),
      ...debugEnv(step, input),
      ...nodeSshEnv(step, input),
      ...inventoryEnv(step, input.spec),
      ...imageStepEnv({ step, ...imageInput(input) }),
    ],
    volumeMounts: [
      ...mounts(step),
      ...sourceStepMounts(input.spec, step),
      ...nodeSshMounts(step, input),
      ...inventoryMounts(step, input.spec),
      ...imageStepMounts({ step, ...imageInput(input) }),
    ],
    terminationMessagePath: TERMINATION_MESSAGE_PATH,
    terminationMessagePolicy: "File",
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    ...(resources === undefined ? {} : { resources }),
  };
}

/** The spec and, when configured, the image service, for the image-step helpers. */
function imageInput(input: BuildJobInput): { spec: RunSpec; service?: JobImageService } {
  const service = input.options.imageService;
  return service === undefined ? { spec: input.spec } : { spec: input.spec, service };
}

/**
 * What every container is told. Only what differs between Jobs: the image's own paths (work dir,
 * results, run spec, termination message; see resolveStepConfig) are not repeated in each of a
 * Job's containers, since every env entry is decoded, validated, field-managed, stored and watched
 * again for each of the pod's containers (the API server's CPU to create 1,000 Jobs went from
 * ~5.8 s to ~4.6 s without them). The session, Job and step are the pod's labels and container names.
 */
function baseEnv(args: { step: JobStep; input: BuildJobInput; budget: number }): V1EnvVar[] {
  return [
    { name: ENV.terminationMessageBytes, value: String(args.budget) },
    { name: ENV.jobLayout, value: args.input.options.layout ?? DEFAULT_LIBRARY_JOB_LAYOUT },
    ...stepEnvList(args.input.options),
  ];
}

function stepEnvList(options: JobOptions): V1EnvVar[] {
  const names = options.stepEnv ?? [];
  return names.length === 0 ? [] : [{ name: ENV.stepEnv, value: names.join(",") }];
}

/** Git credentials by reference to the Secret, never as literal values, and only where git runs. */
function gitEnv(step: JobStep, options: JobOptions): V1EnvVar[] {
  const secret = options.gitCredentialsSecret;
  if (secret === undefined || !isCloneStep(step)) return [];
  const fromSecret = (name: string, key: string): V1EnvVar => ({
    name,
    valueFrom: { secretKeyRef: { name: secret, key, optional: false } },
  });
  return [
    fromSecret(ENV.gitUsername, GIT_SECRET_USERNAME_KEY),
    fromSecret(ENV.gitPassword, GIT_SECRET_PASSWORD_KEY),
  ];
}

function isCloneStep(step: JobStep): boolean {
  return step.kind === "git-clone" || step.kind === "git-clone-hosts";
}

/** CFS's `GIT_RETRY_MAX` / `GIT_RETRY_DELAY` in the clone containers, when the site set retries. */
function cloneRetryEnv(step: JobStep, options: JobOptions): V1EnvVar[] {
  const retry = options.cloneRetry;
  if (retry === undefined || !isCloneStep(step)) return [];
  return [
    { name: ENV.gitRetryMax, value: String(retry.attempts) },
    { name: ENV.gitRetryDelay, value: String(retry.delayMs / 1000) },
  ];
}

/** The `--node-ssh-secret` of a node session (never of an image session), or null. */
function nodeSshSecret(input: BuildJobInput): string | null {
  const secret = input.options.nodeSshSecret;
  return secret === undefined || isImageTarget(input.spec) ? null : secret;
}

function nodeSshEnv(step: JobStep, input: BuildJobInput): V1EnvVar[] {
  if (step.kind !== "ansible" || nodeSshSecret(input) === null) return [];
  return [{ name: ENV.nodeSshKeyDir, value: NODE_SSH_KEY_DIR }];
}

/** The node SSH key Secret, read-only, in the ansible containers of node sessions only. */
function nodeSshMounts(step: JobStep, input: BuildJobInput): V1VolumeMount[] {
  if (step.kind !== "ansible" || nodeSshSecret(input) === null) return [];
  return [{ name: NODE_SSH_VOLUME, mountPath: NODE_SSH_KEY_DIR, readOnly: true }];
}

/** Where the ansible container of a session with debug_on_failure runs, for the command that releases its wait. */
function debugEnv(step: JobStep, input: BuildJobInput): V1EnvVar[] {
  if (step.kind !== "ansible" || input.spec.session.debug_on_failure !== true) return [];
  return [
    { name: ENV.namespace, value: input.namespace },
    { name: ENV.podName, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
  ];
}

function ansibleEnv(step: JobStep): V1EnvVar[] {
  return step.kind === "ansible" ? [{ name: ENV.ansibleConfigDir, value: ANSIBLE_CONFIG_DIR }] : [];
}

/** The inventory ConfigMap, in the `inventory` container of a session that has one. */
function inventoryMounts(step: JobStep, spec: RunSpec): V1VolumeMount[] {
  if (step.kind !== "inventory" || !usesInventoryConfigMap(spec)) return [];
  return [{ name: INVENTORY_VOLUME, mountPath: INVENTORY_DIR, readOnly: true }];
}

function inventoryEnv(step: JobStep, spec: RunSpec): V1EnvVar[] {
  if (step.kind !== "inventory" || !usesInventoryConfigMap(spec)) return [];
  return [{ name: ENV.componentsFile, value: `${INVENTORY_DIR}/${COMPONENTS_FILE}` }];
}

function mounts(step: JobStep): V1VolumeMount[] {
  const list: V1VolumeMount[] = [
    { name: WORK_VOLUME, mountPath: WORK_DIR },
    { name: RUN_SPEC_VOLUME, mountPath: RUN_SPEC_DIR, readOnly: true },
  ];
  if (step.kind === "ansible")
    list.push({ name: ANSIBLE_CONFIG_VOLUME, mountPath: ANSIBLE_CONFIG_DIR, readOnly: true });
  return list;
}
