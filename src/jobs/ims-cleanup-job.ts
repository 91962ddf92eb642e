/**
 * The cleanup Job of a removed image session (pure: Jobs and pods in, a Job out). Deleting a
 * session's Job kills its pod, so a session removed before its `teardown` ran would leave its IMS
 * jobs and public key behind; the runner first creates this small Job, whose one container
 * (`cfs-gitops step ims-cleanup`) deletes them with the session's IMS endpoint and token Secret.
 */
import type { V1ContainerState, V1EnvVar, V1Job, V1Pod } from "@kubernetes/client-node";
import { isImageTarget } from "../api/index.js";
import type { JobResources } from "./build-job.js";
import {
  ANNOTATION_SESSION,
  ENV,
  IMS_CLEANUP_STEP,
  IMS_TOKEN_SECRET_KEY,
  STEP_PROGRAM,
} from "./constants.js";
import { runSpecOfJob } from "./observe-job.js";
import type { JobImageService } from "./image-steps.js";
import { decodeStepMessage } from "./step-message.js";

/** Label that marks the runner's helper Jobs (and their pods), so they are never taken for sessions. */
export const LABEL_ROLE = "cfs-gitops/role";
/** Value of LABEL_ROLE on a cleanup Job. */
export const ROLE_IMS_CLEANUP = "ims-cleanup";

/** Seconds a finished cleanup Job (and its log) is kept. */
const CLEANUP_TTL_SECONDS = 600;
/** Longest time a cleanup Job may run, retries included. */
const CLEANUP_DEADLINE_SECONDS = 900;
const MAX_NAME = 63;
const SUFFIX = "-cleanup";
const INVENTORY_STEP = "inventory";
const TEARDOWN_STEP = "teardown";

/** What the cleanup of one session's Job needs: that Job, and the IMS job ids `inventory` reported. */
export interface ImsCleanupTarget {
  job: V1Job;
  knownJobs: string[];
}

/** Inputs of buildImsCleanupJob. */
export interface ImsCleanupJobInput {
  target: ImsCleanupTarget;
  namespace: string;
  /** The step image (it has `cfs-gitops`). */
  image: string;
  /** The IMS endpoint and token Secret of the session's Job; plus pod settings shared with it. */
  site: { service: JobImageService; resources?: JobResources; serviceAccountName?: string };
}

/**
 * `<job>-cleanup` within 63 characters. A long Job name keeps its head and its last segment (the
 * hash that makes it unique), so two sessions never share a cleanup Job.
 */
export function cleanupJobName(job: string): string {
  if (job.length + SUFFIX.length <= MAX_NAME) return `${job}${SUFFIX}`;
  const tail = job.slice(job.lastIndexOf("-") + 1).slice(-16);
  const room = MAX_NAME - SUFFIX.length - tail.length - 1;
  const head = job.slice(0, room).replace(/-+$/, "");
  return `${head}-${tail}${SUFFIX}`;
}

/** Whether a Job or pod is one of the runner's helpers (a cleanup Job), not a session's. */
export function isHelperObject(object: { metadata?: { labels?: Record<string, string> } }): boolean {
  return object.metadata?.labels?.[LABEL_ROLE] !== undefined;
}

/**
 * Whether removing this session's Job needs an IMS cleanup, and with which known job ids: an image
 * session whose `inventory` step started (it may have staged something) and whose `teardown` (which
 * cleans up itself) has not ended. Null when nothing can be left in IMS.
 */
export function imsCleanupOf(input: { job: V1Job; pod: V1Pod | null }): ImsCleanupTarget | null {
  if (!isImageSessionJob(input.job)) return null;
  const inventory = containerState(input.pod, INVENTORY_STEP);
  if (!hasStarted(inventory) || hasEnded(containerState(input.pod, TEARDOWN_STEP))) return null;
  const message = decodeStepMessage(inventory?.terminated?.message);
  return { job: input.job, knownJobs: message?.ims_jobs ?? [] };
}

/** Whether a Job runs an image session (not a helper, and its RunSpec targets images). */
function isImageSessionJob(job: V1Job): boolean {
  const spec = runSpecOfJob(job);
  return spec !== null && isImageTarget(spec) && !isHelperObject(job);
}

function hasStarted(state: V1ContainerState | undefined): boolean {
  return state?.running !== undefined || state?.terminated !== undefined;
}

function hasEnded(state: V1ContainerState | undefined): boolean {
  return state?.terminated !== undefined;
}

/** The state of one container of a pod (init containers and containers); undefined when not reported. */
function containerState(pod: V1Pod | null, name: string): V1ContainerState | undefined {
  const statuses = [...(pod?.status?.initContainerStatuses ?? []), ...(pod?.status?.containerStatuses ?? [])];
  return statuses.find((status) => status.name === name)?.state;
}

/**
 * The cleanup Job: the session Job's labels plus LABEL_ROLE, one `ims-cleanup` container with the
 * IMS endpoint as a value and the token by reference to its Secret (never a value), three tries.
 */
export function buildImsCleanupJob(input: ImsCleanupJobInput): V1Job {
  const { target, site } = input;
  const jobName = target.job.metadata?.name ?? "";
  const labels = { ...(target.job.metadata?.labels ?? {}), [LABEL_ROLE]: ROLE_IMS_CLEANUP };
  const session = target.job.metadata?.annotations?.[ANNOTATION_SESSION];
  const annotations = session === undefined ? {} : { [ANNOTATION_SESSION]: session };
  const account = site.serviceAccountName;
  const resources = site.resources?.step;
  return {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { name: cleanupJobName(jobName), namespace: input.namespace, labels, annotations },
    spec: {
      backoffLimit: 2,
      ttlSecondsAfterFinished: CLEANUP_TTL_SECONDS,
      activeDeadlineSeconds: CLEANUP_DEADLINE_SECONDS,
      template: {
        metadata: { labels, annotations },
        spec: {
          restartPolicy: "Never",
          containers: [
            {
              name: IMS_CLEANUP_STEP,
              image: input.image,
              command: [STEP_PROGRAM, "step", IMS_CLEANUP_STEP],
              env: cleanupEnv(jobName, target.knownJobs, site.service),
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              ...(resources === undefined ? {} : { resources }),
            },
          ],
          enableServiceLinks: false,
          automountServiceAccountToken: false,
          securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
          ...(account === undefined ? {} : { serviceAccountName: account }),
        },
      },
    },
  };
}

function cleanupEnv(job: string, knownJobs: readonly string[], service: JobImageService): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: ENV.job, value: job },
    { name: ENV.imsUrl, value: service.imsUrl },
    { name: ENV.imsJobs, value: knownJobs.join(",") },
  ];
  if (service.cleanupSettleMs !== undefined) {
    env.push({ name: ENV.imsCleanupSettleMs, value: String(service.cleanupSettleMs) });
  }
  if (service.imsTokenSecret !== undefined) {
    env.push({
      name: ENV.imsToken,
      valueFrom: {
        secretKeyRef: { name: service.imsTokenSecret, key: IMS_TOKEN_SECRET_KEY, optional: false },
      },
    });
  }
  return env;
}
