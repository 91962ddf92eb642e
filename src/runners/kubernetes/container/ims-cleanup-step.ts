/**
 * `cfs-gitops step ims-cleanup`: the one container of the cleanup Job the kubernetes runner
 * creates when it removes an image session whose teardown never ran (deleting the session's Job
 * kills its pod first). It finds what the run left in IMS by the run's public key name (so a run
 * stopped in the middle of `inventory` is covered too) plus the job ids `inventory` reported,
 * deletes the jobs, then the keys. A 404 means already gone; any other failure exits non-zero so
 * the Job retries.
 */
import type { ImsApi, ImsJobRecord, ImsPublicKeyRecord } from "../../../images/ims-api.js";
import { publicKeyName } from "../../../images/names.js";
import { ENV, IMS_CLEANUP_STEP } from "../../../jobs/index.js";
import { logLine, type StepLog } from "./container-step.js";

/** Defined in jobs/constants.ts (the cleanup Job names its container with it); re-exported here. */
export { IMS_CLEANUP_STEP };

/** What the cleanup container is told through its environment. The token is never logged. */
export interface ImsCleanupConfig {
  /** The session's Job whose IMS leftovers are removed. */
  job: string;
  url: string;
  /** Bearer token (from the session's token Secret); null: none sent. */
  token: string | null;
  /** IMS job ids the session's `inventory` step reported. */
  knownJobs: string[];
  /** Wait before a second look, after the first found something (a job the stopping pod made meanwhile). */
  settleMs: number;
}

/** Default wait before the second look: the session pod's grace period plus one IMS request. */
export const DEFAULT_IMS_CLEANUP_SETTLE_MS = 60_000;

/** What a run left in IMS. */
export interface ImsLeftovers {
  jobIds: string[];
  keyIds: string[];
}

/** The cleanup settings from the environment, or the one line that says what is wrong. */
export function resolveImsCleanupConfig(
  env: Readonly<Record<string, string | undefined>>,
): Readonly<ImsCleanupConfig> | { error: string } {
  const job = nonEmpty(env[ENV.job]);
  const url = nonEmpty(env[ENV.imsUrl]);
  if (job === null || url === null) {
    return {
      error: `${ENV.job} and ${ENV.imsUrl} must be set: ims-cleanup runs in the runner's cleanup Job`,
    };
  }
  const settleText = nonEmpty(env[ENV.imsCleanupSettleMs]);
  const settleMs = settleText === null ? DEFAULT_IMS_CLEANUP_SETTLE_MS : Number(settleText);
  if (!Number.isInteger(settleMs) || settleMs < 0) {
    return { error: `${ENV.imsCleanupSettleMs} ${settleText ?? ""}: must be a whole number of milliseconds` };
  }
  const knownJobs = (env[ENV.imsJobs] ?? "").split(",").filter((id) => id.trim() !== "");
  return Object.freeze({ job, url, token: nonEmpty(env[ENV.imsToken]), knownJobs, settleMs });
}

/**
 * What the run of `job` left in IMS (pure): its public keys (named `publicKeyName(job)`), and the
 * jobs that use one of them or that `inventory` reported. Reported jobs IMS no longer lists are gone.
 */
export function imsLeftovers(input: {
  job: string;
  keys: readonly ImsPublicKeyRecord[];
  jobs: readonly ImsJobRecord[];
  knownJobs: readonly string[];
}): ImsLeftovers {
  const name = publicKeyName(input.job);
  const keyIds = input.keys.filter((key) => key.name === name).map((key) => key.id);
  const keys = new Set(keyIds);
  const known = new Set(input.knownJobs);
  const jobIds = input.jobs
    .filter((job) => known.has(job.id) || (job.public_key_id !== undefined && keys.has(job.public_key_id)))
    .map((job) => job.id);
  return { jobIds, keyIds };
}

/** Options of runImsCleanup. */
export interface ImsCleanupInput {
  config: Readonly<ImsCleanupConfig>;
  api: ImsApi;
  out: StepLog;
  sleep: (ms: number) => Promise<void>;
}

/** Delete what the run left in IMS, look again after `settleMs` when something was found; throws when IMS fails. */
export async function runImsCleanup(input: ImsCleanupInput): Promise<ImsLeftovers> {
  const { config } = input;
  const first = await sweep(input, config.knownJobs);
  if (first.jobIds.length + first.keyIds.length === 0) {
    await logLine(input.out, `nothing of job ${config.job} is left in IMS`);
    return first;
  }
  await input.sleep(config.settleMs);
  const second = await sweep(input, []);
  return {
    jobIds: [...first.jobIds, ...second.jobIds],
    keyIds: [...first.keyIds, ...second.keyIds],
  };
}

/** One look at IMS: list, then delete the run's jobs before its keys (a job needs its key). */
async function sweep(input: ImsCleanupInput, knownJobs: readonly string[]): Promise<ImsLeftovers> {
  const { api, out } = input;
  const [keys, jobs] = await Promise.all([api.listPublicKeys(), api.listJobs()]);
  const found = imsLeftovers({ job: input.config.job, keys, jobs, knownJobs });
  for (const id of found.jobIds) {
    await api.deleteJob(id);
    await logLine(out, `deleted IMS job ${id}`);
  }
  for (const id of found.keyIds) {
    await api.deletePublicKey(id);
    await logLine(out, `deleted IMS public key ${id}`);
  }
  return found;
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === "" ? null : value;
}
