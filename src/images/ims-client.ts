/**
 * The Cray IMS client as an ImageService. Staging uploads the session's public key and creates one
 * `customize` job per image, then waits (each wait with a timeout) for `waiting_on_user` and for
 * the job's SSH jail to answer. Teardown touches `/tmp/complete` (or `/tmp/failed`) in each jail,
 * as CFS does, and waits for `resultant_image_id`. Cleanup deletes the jobs and the key.
 */
import { realSleep } from "../git/sleep.js";
import { ImageServiceError, errorText, isImageServiceError } from "./errors.js";
import { isTransientImsError, type ImsApi, type ImsJobRecord } from "./ims-api.js";
import { defaultResultName, publicKeyName, sshContainerName } from "./names.js";
import type { SshRunner, SshTarget } from "./ssh.js";
import type {
  HostVars,
  ImageOutcome,
  ImageService,
  StageRequest,
  StagedImage,
  Staging,
  TeardownRequest,
} from "./types.js";
import { waitUntil, type Poll, type WaitTools } from "./wait.js";

/** How long each wait of an image customization may take. */
export interface ImsTimeouts {
  /** A job reaching `waiting_on_user` (IMS downloads and unpacks the image first). */
  jobReadyMs: number;
  /** A job's SSH container answering, and a teardown signal getting through. */
  sshReadyMs: number;
  /** A job producing its `resultant_image_id` after the complete signal (IMS packages and uploads). */
  resultMs: number;
}

/** Defaults: generous, but finite (CFS's waits have no end, and its image sessions hang for days). */
export const DEFAULT_IMS_TIMEOUTS: Readonly<ImsTimeouts> = Object.freeze({
  jobReadyMs: 30 * 60_000,
  sshReadyMs: 5 * 60_000,
  resultMs: 60 * 60_000,
});

/** Options of createImsClient. */
export interface ImsClientOptions {
  api: ImsApi;
  ssh: SshRunner;
  /** User of the SSH containers; IMS jails log in as root. */
  sshUser?: string;
  /** The `connection_info` entry to use (`cluster.local` inside the cluster, `customer_access` from outside); falls back to the first. */
  connection?: string;
  timeouts?: Partial<ImsTimeouts>;
  /** Time between two looks at a job (default 5 s). */
  pollMs?: number;
  tools?: WaitTools;
}

/** The signal files of an IMS jail (ims-sshd): either one ends the SSH shell. */
const SIGNAL_COMMAND = { complete: "touch /tmp/complete", failed: "touch /tmp/failed" } as const;
/** Longest time one SSH probe may take. */
const SSH_PROBE_MS = 10_000;

/** Create the IMS image service. */
export function createImsClient(options: ImsClientOptions): ImageService {
  return new ImsClient(options);
}

class ImsClient implements ImageService {
  readonly kind = "ims" as const;
  private readonly timeouts: ImsTimeouts;
  private readonly tools: WaitTools;
  private readonly pollMs: number;

  constructor(private readonly options: ImsClientOptions) {
    this.timeouts = { ...DEFAULT_IMS_TIMEOUTS, ...(options.timeouts ?? {}) };
    this.tools = options.tools ?? { now: () => Date.now(), sleep: realSleep };
    this.pollMs = options.pollMs ?? 5_000;
  }

  async stage(request: StageRequest): Promise<Staging> {
    const key = request.sshKey;
    if (key === null) {
      throw new ImageServiceError({ code: "invalid-input", message: "IMS needs the session's SSH key" });
    }
    const staging: Staging = {
      service: "ims",
      session: request.session,
      job: request.job,
      publicKeyId: null,
      images: [],
      ansibleEnv: {},
    };
    const record = await this.options.api.createPublicKey({
      name: publicKeyName(request.job),
      publicKey: key.publicKey,
    });
    staging.publicKeyId = record.id;
    await request.onProgress(copy(staging));
    await request.log?.(`uploaded the session's public key to IMS as ${record.id}`);
    for (const target of request.images) {
      if (request.signal.aborted) break;
      staging.images.push(await this.createJob(request, target, record.id));
      await request.onProgress(copy(staging));
    }
    const ready = await this.allReady(request, staging.images);
    return { ...staging, images: ready };
  }

  async teardown(request: TeardownRequest): Promise<ImageOutcome[]> {
    return Promise.all(request.staging.images.map((image) => this.finish(request, image)));
  }

  async cleanup(staging: Staging): Promise<void> {
    const problems: string[] = [];
    for (const image of staging.images) {
      if (image.jobId === null) continue;
      await this.options.api
        .deleteJob(image.jobId)
        .catch((error: unknown) => problems.push(errorText(error)));
    }
    if (staging.publicKeyId !== null) {
      await this.options.api
        .deletePublicKey(staging.publicKeyId)
        .catch((error: unknown) => problems.push(errorText(error)));
    }
    if (problems.length > 0) {
      throw new ImageServiceError({
        code: "http",
        message: `IMS cleanup incomplete: ${problems.join("; ")}`,
      });
    }
  }

  /** Look the image up (its name makes the default result name) and create its customize job. */
  private async createJob(
    request: StageRequest,
    target: StageRequest["images"][number],
    publicKeyId: string,
  ): Promise<StagedImage> {
    const image = await this.options.api.getImage(target.sourceId).catch((error: unknown) => {
      if (isImageServiceError(error) && error.code === "not-found") {
        throw new ImageServiceError({ code: "not-found", message: `image ${target.sourceId} is not in IMS` });
      }
      throw error;
    });
    const resultName = target.resultName ?? defaultResultName(image.name, request.session);
    const job = await this.options.api.createJob({
      job_type: "customize",
      artifact_id: target.sourceId,
      public_key_id: publicKeyId,
      image_root_archive_name: resultName,
      ssh_containers: [{ name: sshContainerName(request.session), jail: true }],
      enable_debug: false,
      ...(request.requireDkms ? { require_dkms: true } : {}),
    });
    await request.log?.(
      `created IMS customize job ${job.id} for image ${target.sourceId} (${image.name}) -> ${resultName}`,
    );
    return {
      sourceId: target.sourceId,
      sourceName: image.name,
      resultName,
      jobId: job.id,
      hostVars: {},
      root: null,
    };
  }

  /** Wait for every job at once; the first failure stops the other waits and is thrown. */
  private async allReady(request: StageRequest, images: StagedImage[]): Promise<StagedImage[]> {
    const stop = new AbortController();
    const signal = AbortSignal.any([request.signal, stop.signal]);
    const results = await Promise.allSettled(
      images.map((image) =>
        this.waitReady({ request, image, signal }).catch((error: unknown) => {
          stop.abort();
          throw error;
        }),
      ),
    );
    const failure = firstFailure(results);
    if (failure !== null) throw failure;
    return results.map((result, i) =>
      result.status === "fulfilled" ? result.value : (images[i] as StagedImage),
    );
  }

  private async waitReady(input: {
    request: StageRequest;
    image: StagedImage;
    signal: AbortSignal;
  }): Promise<StagedImage> {
    const { request, image, signal } = input;
    const jobId = image.jobId ?? "";
    const record = await waitUntil({
      what: `IMS job ${jobId} (image ${image.sourceId}) to reach waiting_on_user`,
      timeoutMs: this.timeouts.jobReadyMs,
      pollMs: this.pollMs,
      signal,
      tools: this.tools,
      check: () => this.pollReady(jobId, image.sourceId),
    });
    const target = this.sshTarget(record, request);
    await request.log?.(`IMS job ${jobId} is waiting_on_user; its SSH jail is ${target.host}:${target.port}`);
    await waitUntil({
      what: `SSH on ${target.host}:${target.port} (IMS job ${jobId})`,
      timeoutMs: this.timeouts.sshReadyMs,
      pollMs: this.pollMs,
      signal,
      tools: this.tools,
      check: () => this.probe(target, "true", signal),
    });
    await request.log?.(`SSH to IMS job ${jobId} works`);
    return { ...image, hostVars: hostVars(target) };
  }

  private async pollReady(jobId: string, sourceId: string): Promise<Poll<ImsJobRecord>> {
    const job = await this.getJobTolerant(jobId);
    if (job === null) return { done: false, seen: "IMS did not answer" };
    if (job.status === "error") {
      throw new ImageServiceError({
        code: "ims-job-error",
        message: `IMS job ${jobId} for image ${sourceId} failed (status error) before the image could be customized`,
        data: { jobId },
      });
    }
    if (job.status === "waiting_on_user" && connectionOf(job, this.options.connection) !== null) {
      return { done: true, value: job };
    }
    return { done: false, seen: `status ${job.status}` };
  }

  /** A job, or null when IMS is briefly unreachable (the wait goes on until its timeout). */
  private async getJobTolerant(jobId: string): Promise<ImsJobRecord | null> {
    try {
      return await this.options.api.getJob(jobId);
    } catch (error) {
      if (isTransientImsError(error)) return null;
      throw error;
    }
  }

  private async probe(target: SshTarget, command: string, signal: AbortSignal): Promise<Poll<true>> {
    const timeoutMs = Math.min(SSH_PROBE_MS, this.timeouts.sshReadyMs);
    const result = await this.options.ssh.run({ target, command, timeoutMs, signal });
    return result.ok ? { done: true, value: true } : { done: false, seen: result.detail || "ssh failed" };
  }

  private sshTarget(job: ImsJobRecord, request: StageRequest): SshTarget {
    const info = connectionOf(job, this.options.connection) ?? { host: "", port: 22 };
    return {
      host: info.host,
      port: info.port,
      user: this.options.sshUser ?? "root",
      privateKeyPath: request.sshKey?.privateKeyPath ?? "",
    };
  }

  /** Teardown of one image: signal the jail, then (after success) wait for the result image. */
  private async finish(request: TeardownRequest, image: StagedImage): Promise<ImageOutcome> {
    const base = { sourceId: image.sourceId, jobId: image.jobId };
    if (image.jobId === null || typeof image.hostVars["ansible_host"] !== "string") {
      const reason = request.succeeded ? `image ${image.sourceId} was never ready for customization` : null;
      return { ...base, status: "failed", resultId: null, reason };
    }
    try {
      const resultId = await this.finishJob(request, image, image.jobId);
      return { ...base, status: resultId === null ? "failed" : "succeeded", resultId, reason: null };
    } catch (error) {
      return { ...base, status: "failed", resultId: null, reason: errorText(error) };
    }
  }

  private async finishJob(
    request: TeardownRequest,
    image: StagedImage,
    jobId: string,
  ): Promise<string | null> {
    const target = targetOf(image);
    const which = request.succeeded ? "complete" : "failed";
    await waitUntil({
      what: `the ${which} signal to reach IMS job ${jobId} over SSH`,
      timeoutMs: this.timeouts.sshReadyMs,
      pollMs: this.pollMs,
      signal: request.signal,
      tools: this.tools,
      check: () => this.probe(target, SIGNAL_COMMAND[which], request.signal),
    });
    await request.log?.(`marked IMS job ${jobId} ${which}`);
    if (!request.succeeded) return null;
    const resultId = await waitUntil({
      what: `IMS job ${jobId} (image ${image.sourceId}) to produce its result image`,
      timeoutMs: this.timeouts.resultMs,
      pollMs: this.pollMs,
      signal: request.signal,
      tools: this.tools,
      check: () => this.pollResult(jobId, image.sourceId),
    });
    await request.log?.(`IMS job ${jobId} produced image ${resultId} (${image.resultName})`);
    return resultId;
  }

  private async pollResult(jobId: string, sourceId: string): Promise<Poll<string>> {
    const job = await this.getJobTolerant(jobId);
    if (job === null) return { done: false, seen: "IMS did not answer" };
    if (typeof job.resultant_image_id === "string" && job.resultant_image_id !== "") {
      return { done: true, value: job.resultant_image_id };
    }
    if (job.status === "error") {
      throw new ImageServiceError({
        code: "ims-job-error",
        message: `IMS job ${jobId} failed (status error) while packaging the result of image ${sourceId}`,
        data: { jobId },
      });
    }
    return { done: false, seen: `status ${job.status}, no resultant_image_id` };
  }
}

/** The SSH endpoint of a job's first SSH container: the preferred `connection_info` entry, else the first. */
function connectionOf(job: ImsJobRecord, preferred = "cluster.local"): { host: string; port: number } | null {
  const info = job.ssh_containers?.[0]?.connection_info ?? {};
  const entry = info[preferred] ?? Object.values(info)[0];
  if (typeof entry?.host !== "string" || entry.host === "") return null;
  return { host: entry.host, port: typeof entry.port === "number" ? entry.port : 22 };
}

/** How Ansible reaches an IMS jail (the ssh connection, the session's key, no host key checks). */
function hostVars(target: SshTarget): HostVars {
  return {
    ansible_host: target.host,
    ansible_port: target.port,
    ansible_user: target.user,
    ansible_ssh_private_key_file: target.privateKeyPath,
    ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
  };
}

function targetOf(image: StagedImage): SshTarget {
  const vars = image.hostVars;
  return {
    host: String(vars["ansible_host"]),
    port: Number(vars["ansible_port"] ?? 22),
    user: String(vars["ansible_user"] ?? "root"),
    privateKeyPath: String(vars["ansible_ssh_private_key_file"] ?? ""),
  };
}

/** The first rejection that is not a cancellation caused by another wait failing first. */
function firstFailure(results: PromiseSettledResult<unknown>[]): Error | null {
  const rejected = results.flatMap((result) =>
    result.status === "rejected" ? [result.reason as unknown] : [],
  );
  const real = rejected.find((reason) => !(isImageServiceError(reason) && reason.code === "cancelled"));
  const chosen = real ?? rejected[0];
  if (chosen === undefined) return null;
  return chosen instanceof Error ? chosen : new Error(JSON.stringify(chosen));
}

function copy(staging: Staging): Staging {
  return { ...staging, images: staging.images.map((image) => ({ ...image })) };
}
