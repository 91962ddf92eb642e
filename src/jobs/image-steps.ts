/**
 * What the containers of an image session's Job need from the image service: the IMS endpoint and
 * token (`inventory` stages the images, `teardown` finishes them) and the session's SSH key
 * (mounted in `inventory`, every `ansible-<i>` and `teardown`, which reach the IMS jails with it).
 * Only image targets get any of it; credentials come by reference to Secrets, never as values.
 */
import type { V1EnvVar, V1Volume, V1VolumeMount } from "@kubernetes/client-node";
import type { RunSpec } from "../api/index.js";
import { ENV, IMS_TOKEN_SECRET_KEY, SSH_KEY_DIR } from "./constants.js";
import { isImageTarget, type JobStep } from "./job-steps.js";

/** The image service of image sessions on the kubernetes runner (Cray IMS). */
export interface JobImageService {
  /** IMS base URL without `/v3` (`http://cray-ims.services.svc.cluster.local`). */
  imsUrl: string;
  /** A Secret whose key `token` is the IMS bearer token; none sent when absent (in-mesh access). */
  imsTokenSecret?: string;
  /**
   * A Secret holding the SSH key pair of image sessions (keys `id_ed25519` and `id_ed25519.pub`),
   * as CFS uses the key of cfs-trust: its public half is uploaded to IMS for each session.
   */
  sshKeySecret: string;
  /** The `connection_info` entry of the jails to use (default `cluster.local`). */
  sshNetwork?: string;
  /** The user the jails log in as (default root, as in IMS). */
  sshUser?: string;
  /** Longest waits of the IMS client, in milliseconds (its defaults when absent). */
  timeouts?: { jobReadyMs: number; sshReadyMs: number; resultMs: number };
  /** Milliseconds between two looks at an IMS job (the client's default when absent). */
  pollMs?: number;
  /**
   * Removing a running image session: how long its IMS cleanup waits before a second look, for a
   * job its stopping pod created meanwhile (the cleanup step's default when absent).
   */
  cleanupSettleMs?: number;
}

const SSH_KEY_VOLUME = "ssh-key";

/** Whether `step` of `spec` talks to IMS (`inventory` and `teardown` of image targets). */
function callsIms(step: JobStep, spec: Pick<RunSpec, "session">): boolean {
  return isImageTarget(spec) && (step.kind === "inventory" || step.kind === "teardown");
}

/** Whether `step` of `spec` uses the session's SSH key. */
function usesKey(step: JobStep, spec: Pick<RunSpec, "session">): boolean {
  return callsIms(step, spec) || (isImageTarget(spec) && step.kind === "ansible");
}

/** Environment of one container: IMS endpoint and token for the IMS steps, the key directory for every key user. */
export function imageStepEnv(input: {
  step: JobStep;
  spec: Pick<RunSpec, "session">;
  service?: JobImageService;
}): V1EnvVar[] {
  const { step, spec, service } = input;
  if (service === undefined || !usesKey(step, spec)) return [];
  const env: V1EnvVar[] = [{ name: ENV.sshKeyDir, value: SSH_KEY_DIR }];
  if (!callsIms(step, spec)) return env;
  env.push(
    { name: ENV.imsUrl, value: service.imsUrl },
    { name: ENV.imsSshNetwork, value: service.sshNetwork ?? "cluster.local" },
  );
  env.push(...imsTuningEnv(service));
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

/** The optional IMS client settings, as plain values. */
function imsTuningEnv(service: JobImageService): V1EnvVar[] {
  const env: V1EnvVar[] = [];
  if (service.sshUser !== undefined) env.push({ name: ENV.imsSshUser, value: service.sshUser });
  if (service.pollMs !== undefined) env.push({ name: ENV.imsPollMs, value: String(service.pollMs) });
  const t = service.timeouts;
  if (t !== undefined) {
    env.push(
      { name: ENV.imsJobTimeoutMs, value: String(t.jobReadyMs) },
      { name: ENV.imsSshTimeoutMs, value: String(t.sshReadyMs) },
      { name: ENV.imsResultTimeoutMs, value: String(t.resultMs) },
    );
  }
  return env;
}

/** The read-only mount of the SSH key Secret in the containers that use it. */
export function imageStepMounts(input: {
  step: JobStep;
  spec: Pick<RunSpec, "session">;
  service?: JobImageService;
}): V1VolumeMount[] {
  const { step, spec, service } = input;
  if (service === undefined || !usesKey(step, spec)) return [];
  return [{ name: SSH_KEY_VOLUME, mountPath: SSH_KEY_DIR, readOnly: true }];
}

/** The SSH key Secret as a volume (owner-read-only files, as ssh requires), for image targets only. */
export function imageVolumes(input: {
  spec: Pick<RunSpec, "session">;
  service?: JobImageService;
}): V1Volume[] {
  if (input.service === undefined || !isImageTarget(input.spec)) return [];
  return [{ name: SSH_KEY_VOLUME, secret: { secretName: input.service.sshKeySecret, defaultMode: 0o400 } }];
}
