/**
 * The kubernetes runner: one batch/v1 Job per session (built by buildJob), observed through
 * informers on the Jobs and pods labelled as ours, never by polling. A restarted controller finds
 * its Jobs again (the Job name is deterministic, and 409 AlreadyExists means already started).
 */
import {
  BatchV1Api,
  CoreV1Api,
  type KubeConfig,
  type V1Job,
  type V1ObjectMeta,
  type V1Pod,
} from "@kubernetes/client-node";
import type { Logger } from "pino";
import {
  DEFAULT_SESSION_TTL,
  LABEL_MANAGED_BY,
  MANAGED_BY,
  type RunObservation,
  type RunSpec,
} from "../../api/index.js";
import {
  buildImsCleanupJob,
  buildJob,
  imsCleanupOf,
  isHelperObject,
  observeJob,
  sessionOfJob,
  slimJob,
  slimPod,
  splitStepLog,
  stepLogSource,
  usesInventoryConfigMap,
  vanishedObservation,
  type ImsCleanupJobInput,
  type ImsCleanupTarget,
  type JobImages,
  type JobOptions,
} from "../../jobs/index.js";
import { realSleep, type Sleep } from "../../git/sleep.js";
import { formatTime, parseDuration } from "../../plan/duration.js";
import { notifyListeners } from "../steps/index.js";
import type { Runner } from "../types.js";
import { apiError, apiStatus } from "./api-errors.js";
import { compressComponents, ensureInventoryConfigMap } from "./ensure-inventory-config-map.js";
import {
  Informer,
  type InformerEvent,
  type ListAnswer,
  type ListPage,
  type WatchClient,
} from "./informer.js";
import { DEFAULT_PROGRESS_INTERVAL_MS, LayerProgress } from "./layer-progress.js";
import { JobObservations } from "./job-observations.js";
import { ACCEPT_METADATA, requestJson, type JsonRequestOptions } from "./json-request.js";
import { JsonWatch } from "./json-watch.js";
import { KeepAliveClients } from "./keep-alive-clients.js";
import { RateLimiter } from "./rate-limiter.js";
import { DEFAULT_KUBE_RATE, isValidRate, type TokenRate } from "./token-bucket.js";

/** Informer settings (tests shorten them). */
export interface KubernetesWatchOptions {
  /** Seconds after which the server ends each watch (default 300). */
  timeoutSeconds?: number;
  /** A watch with no line for this long is restarted (default: the timeout plus 30 s). */
  quietMs?: number;
  minRetryMs?: number;
  maxRetryMs?: number;
}

/** Options of createKubernetesRunner. */
export interface KubernetesRunnerOptions {
  kubeConfig: KubeConfig;
  /** The namespace the Jobs run in (and the only one the runner reads). */
  namespace: string;
  images: JobImages;
  /** Site settings of every Job; its TTL comes from each session's `session_ttl`. */
  options: Omit<JobOptions, "ttlSecondsAfterFinished">;
  log: Logger;
  /** The clock of the times the runner itself sets (a vanished Job's completion) and of its grace periods. */
  now?: () => Date;
  /**
   * Every wait of the runner: the first sync's timeout and (when given) the informers' retry
   * backoff. Default a real timer (the informers' own, which does not hold the process).
   */
  sleep?: Sleep;
  watch?: KubernetesWatchOptions;
  /** How long to wait for the first list of Jobs and pods before giving up (default 60 s). */
  syncTimeoutMs?: number;
  /** The watch client (default JsonWatch on `kubeConfig`). */
  watchClient?: WatchClient;
  /** Called after start() created a Job (not for one that existed already): a metric's hook. */
  onJobCreated?: (spec: RunSpec) => void;
  /** `cfs` layout: time between two reads of a running `ansible` container's log for per-layer progress (default 10 s). */
  progressIntervalMs?: number;
  /**
   * The client-side limit of the runner's writes (creates and deletes of Jobs and ConfigMaps), as
   * `--kube-qps` and `--kube-burst` set it; default DEFAULT_KUBE_RATE.
   */
  rate?: TokenRate;
  /**
   * Requests share keep-alive connections (default true); false: one connection and TLS handshake
   * per request, as client-node makes them (the bench's before).
   */
  keepAlive?: boolean;
}

/** Jobs created at once by the controller's pass (more only queue in the API server on a small control plane). */
export const START_CONCURRENCY = 16;

/** Label selector of every Job and pod the runner creates and watches. */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;

/** How long a Job start() created is reported before the informer has delivered it. */
const CREATED_GRACE_MS = 60_000;

/**
 * Create the kubernetes runner and wait until it has listed the namespace's Jobs and pods, so its
 * first observe() already knows every run, including those of a previous controller. Throws when
 * they cannot be listed within `syncTimeoutMs` (wrong namespace, missing RBAC, no API server).
 */
export async function createKubernetesRunner(options: KubernetesRunnerOptions): Promise<Runner> {
  const runner = new KubernetesRunner(options);
  await runner.sync(options.syncTimeoutMs ?? 60_000);
  return runner;
}

/** Runs sessions as Jobs; see createKubernetesRunner. */
class KubernetesRunner implements Runner {
  private readonly log: Logger;
  private readonly batch: BatchV1Api;
  private readonly core: CoreV1Api;
  private readonly jobs: Informer<V1Job>;
  private readonly pods: Informer<V1Pod>;
  private readonly listeners: Array<() => void> = [];
  /** The newest pod seen of each Job, kept after the pod is gone so a finished run stays readable. */
  private readonly lastPod = new Map<string, V1Pod>();
  /** Jobs start() created that the informer has not delivered yet, with when (ms). */
  private readonly created = new Map<string, { job: V1Job; at: number }>();
  /** Jobs remove() is deleting: not reported, and their disappearance is expected. */
  private readonly removing = new Set<string>();
  /** Runs whose Job disappeared without remove(): reported until remove() forgets them. */
  private readonly vanished = new Map<string, RunObservation>();
  /** Image runs whose Job disappeared before teardown: what remove() must clean up in IMS. */
  private readonly vanishedCleanup = new Map<string, ImsCleanupTarget>();
  /** Per-layer progress of running cfs layout containers, from their logs. */
  private readonly progress: LayerProgress;
  /** Each Job's observation, made again only when the Job or its pod changed. */
  private readonly observations = new JobObservations();
  private readonly limiter: RateLimiter;
  private readonly clients: KeepAliveClients | null;
  private closed = false;
  /** The controller may call start() this many times at once; the limiter spaces the creates. */
  readonly startConcurrency = START_CONCURRENCY;

  constructor(private readonly options: KubernetesRunnerOptions) {
    this.log = options.log.child({ component: "kubernetes-runner", namespace: options.namespace });
    this.clients = options.keepAlive === false ? null : new KeepAliveClients(options.kubeConfig);
    const kc = options.kubeConfig;
    this.batch = this.clients?.makeApiClient(BatchV1Api) ?? kc.makeApiClient(BatchV1Api);
    this.core = this.clients?.makeApiClient(CoreV1Api) ?? kc.makeApiClient(CoreV1Api);
    const rate = options.rate ?? DEFAULT_KUBE_RATE;
    if (!isValidRate(rate))
      throw new Error(`kube rate ${rate.qps}/${rate.burst}: qps > 0 and an integer burst >= 1`);
    this.limiter = new RateLimiter({
      rate,
      now: () => this.now().getTime(),
      sleep: (ms) => this.sleep(ms),
    });
    const watch = options.watchClient ?? new JsonWatch({ kubeConfig: options.kubeConfig });
    const namespace = options.namespace;
    const sleep = options.sleep;
    const common = {
      labelSelector: MANAGED_SELECTOR,
      watch,
      log: this.log,
      ...informerTuning(options.watch),
      ...(sleep === undefined ? {} : { sleep: (ms: number) => sleep(ms) }),
    };
    this.jobs = new Informer<V1Job>({
      ...common,
      name: "jobs",
      path: `/apis/batch/v1/namespaces/${namespace}/jobs`,
      list: (page) => this.listPage<V1Job>("Jobs", `/apis/batch/v1/namespaces/${namespace}/jobs`, page),
      onEvent: (event, job) => this.onJob(event, job),
      transform: slimJob,
    });
    this.pods = new Informer<V1Pod>({
      ...common,
      name: "pods",
      path: `/api/v1/namespaces/${namespace}/pods`,
      list: (page) => this.listPage<V1Pod>("pods", `/api/v1/namespaces/${namespace}/pods`, page),
      onEvent: (event, pod) => this.onPod(event, pod),
      transform: slimPod,
    });
    this.progress = new LayerProgress({
      readLog: (pod, container) => this.podLog(pod, container),
      intervalMs: options.progressIntervalMs ?? DEFAULT_PROGRESS_INTERVAL_MS,
      sleep: (ms, signal) => this.sleep(ms, signal),
      onChange: () => this.notify(),
      log: this.log,
    });
  }

  /** Start both informers and wait for their first lists. */
  async sync(timeoutMs: number): Promise<void> {
    const cancel = new AbortController();
    const timeout = this.sleep(timeoutMs, cancel.signal).then(
      () => "timeout" as const,
      () => "cancelled" as const,
    );
    const synced = Promise.all([this.jobs.start(), this.pods.start()]).then(() => "synced" as const);
    const result = await Promise.race([synced, timeout]).finally(() => cancel.abort());
    if (result === "synced") return;
    const detail = this.jobs.lastError ?? this.pods.lastError ?? "no answer";
    await this.close();
    throw new Error(
      `could not list Jobs and pods in namespace ${this.options.namespace} within ${timeoutMs} ms: ${detail}`,
    );
  }

  async start(spec: RunSpec): Promise<void> {
    if (this.closed) throw new Error("the kubernetes runner is closed");
    const body = buildJob({
      spec,
      namespace: this.options.namespace,
      images: this.options.images,
      options: { ...this.options.options, ttlSecondsAfterFinished: ttlSeconds(spec.sessionTtl) },
    });
    const inventory = usesInventoryConfigMap(spec) ? compressComponents(spec) : null;
    const created = await this.createJob(body);
    if (inventory !== null) {
      await this.limiter.take();
      const { core, batch } = this;
      const { namespace } = this.options;
      await ensureInventoryConfigMap({
        core,
        batch,
        namespace,
        created,
        job: spec.job,
        componentsGzipBase64: inventory,
      });
    }
    if (created === null) {
      this.log.debug({ session: spec.name, job: spec.job }, "Job exists already");
      return;
    }
    if (this.jobs.get(spec.job) === undefined)
      this.created.set(spec.job, { job: slimJob(created), at: this.now().getTime() });
    this.log.info({ session: spec.name, job: spec.job }, "Job created");
    this.options.onJobCreated?.(spec);
    this.notify();
  }

  /**
   * Delete the run's Job. An image run stopped before its teardown first gets a cleanup Job that
   * removes its IMS jobs and key (deleting the Job kills the pod that would have); when that
   * cannot be created this throws before deleting anything, so the next pass retries both.
   */
  async remove(name: string, job: string): Promise<void> {
    const cleanup = this.cleanupTarget(job);
    this.created.delete(job);
    // When the cleanup Job cannot be created this throws with the vanished run still reported, so
    // the next pass plans this removal again.
    if (cleanup !== null) await this.startImsCleanup(name, cleanup);
    this.vanished.delete(job);
    if (job === "") return;
    this.vanishedCleanup.delete(job);
    this.removing.add(job);
    try {
      await this.limiter.take();
      await this.batch.deleteNamespacedJob({
        name: job,
        namespace: this.options.namespace,
        propagationPolicy: "Foreground",
      });
      this.log.info({ session: name, job }, "Job deleted");
    } catch (error) {
      if (apiStatus(error) !== 404) {
        this.removing.delete(job);
        throw apiError(`delete Job ${job}`, error);
      }
      this.removing.delete(job);
    }
    this.notify();
  }

  /**
   * Every run: each Job's observation made again only when the Job or its pod changed (a Job's
   * run spec annotation is up to 248 KiB of JSON: 10,000 finished Jobs would be parsed every pass).
   */
  observe(): Promise<Map<string, RunObservation>> {
    const runs = new Map<string, { obs: RunObservation; created: number }>();
    // Two runs of one session (an old Job not yet removed): the oldest is reported, so the
    // planner removes it, and the newer one is seen on the next pass (as the local runner does).
    const add = (obs: RunObservation, created: number): void => {
      const known = runs.get(obs.name);
      if (known === undefined || created <= known.created) runs.set(obs.name, { obs, created });
    };
    const now = formatTime(this.now());
    const jobs = this.knownJobs();
    if (this.observations.size > jobs.length)
      this.observations.keepOnly(new Set(jobs.map((job) => job.metadata?.name ?? "")));
    for (const job of jobs) {
      const name = job.metadata?.name ?? "";
      if (this.removing.has(name) || isHelperObject(job)) continue;
      const pod = this.lastPod.get(name) ?? null;
      const seen = this.observations.of({ job, pod, progress: this.progress.of(name, pod) });
      if (seen === null) continue;
      const deleting = job.metadata?.deletionTimestamp !== undefined;
      add(deleting ? vanishedObservation(seen.obs, now) : seen.obs, seen.created);
    }
    for (const obs of this.vanished.values()) add(obs, 0);
    return Promise.resolve(new Map([...runs].map(([name, { obs }]) => [name, obs])));
  }

  onChange(callback: () => void): void {
    this.listeners.push(callback);
  }

  /** The log of `step`: its container's, or in the cfs layout its part of `git-clone` or `ansible`. */
  async readLog(job: string, step: string): Promise<string | null> {
    const pod = this.lastPod.get(job)?.metadata?.name;
    if (pod === undefined) return null;
    const source = stepLogSource(this.jobs.get(job) ?? null, step);
    const text = await this.podLog(pod, source.container);
    return text === null || source.part === null ? text : splitStepLog(text, source.part);
  }

  private async podLog(pod: string, container: string): Promise<string | null> {
    try {
      return await this.core.readNamespacedPodLog({
        name: pod,
        namespace: this.options.namespace,
        container,
      });
    } catch (error) {
      const err = apiError(`read the log of ${pod}/${container}`, error);
      this.log.debug({ pod, container, err }, "no log");
      return null;
    }
  }

  isReady(): boolean {
    const synced = this.jobs.hasSynced && this.pods.hasSynced;
    return !this.closed && synced && this.jobs.lastError === null && this.pods.lastError === null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.progress.close();
    await Promise.all([this.jobs.stop(), this.pods.stop()]);
    this.clients?.close();
  }

  /**
   * The Jobs the informer holds, plus those just created that it has not delivered yet. A created
   * Job the watch has not shown within a minute was deleted before it could: it is forgotten.
   */
  private knownJobs(): V1Job[] {
    const jobs = this.jobs.list();
    const now = this.now().getTime();
    for (const [name, { job, at }] of this.created) {
      if (this.jobs.get(name) !== undefined || now - at > CREATED_GRACE_MS) this.created.delete(name);
      else jobs.push(job);
    }
    return jobs;
  }

  /** What removing `job` must clean up in IMS; null when nothing (or no image service is configured). */
  private cleanupTarget(job: string): ImsCleanupTarget | null {
    if (this.options.options.imageService === undefined || job === "") return null;
    const live = this.jobs.get(job);
    if (live === undefined) return this.vanishedCleanup.get(job) ?? null;
    return imsCleanupOf({ job: live, pod: this.lastPod.get(job) ?? null });
  }

  /** Create the cleanup Job of an image run (one that exists already is fine: remove() is retried). */
  private async startImsCleanup(name: string, target: ImsCleanupTarget): Promise<void> {
    const { imageService, resources, serviceAccountName } = this.options.options;
    if (imageService === undefined) return;
    const site: ImsCleanupJobInput["site"] = {
      service: imageService,
      ...(resources === undefined ? {} : { resources }),
      ...(serviceAccountName === undefined ? {} : { serviceAccountName }),
    };
    const body = buildImsCleanupJob({
      target,
      namespace: this.options.namespace,
      image: this.options.images.step,
      site,
    });
    const created = await this.createJob(body);
    const cleanupJob = body.metadata?.name;
    const what = created === null ? "IMS cleanup Job exists already" : "IMS cleanup Job created";
    this.log.info({ session: name, job: cleanupJob, knownImsJobs: target.knownJobs.length }, what);
  }

  /**
   * Create the Job; null when it exists already. One attempt: a failure is thrown as a
   * KubernetesApiError whose class decides what happens (transient: the controller keeps the
   * session pending, or the removal planned, and retries the pass with backoff; stalling: the
   * session fails with the API's reason). A create that timed out yet succeeded is found by the
   * retry as 409 AlreadyExists.
   */
  private async createJob(body: V1Job): Promise<V1Job | null> {
    await this.limiter.take();
    try {
      return await this.createJobJson(body);
    } catch (error) {
      if (apiStatus(error) === 409) return null;
      throw apiError(`create Job ${body.metadata?.name ?? "?"}`, error);
    }
  }

  /**
   * POST the Job as the JSON it is, through the runner's connections. The API answers with the
   * created Job's metadata only (its uid, resourceVersion, creationTimestamp): what the runner
   * keeps of it until the watch delivers it is what it sent with that metadata.
   */
  private async createJobJson(body: V1Job): Promise<V1Job> {
    const path = `/apis/batch/v1/namespaces/${encodeURIComponent(this.options.namespace)}/jobs`;
    const answer = await requestJson(
      { method: "POST", path, body, accept: ACCEPT_METADATA },
      this.requests(),
    );
    const metadata = (answer as { metadata?: V1ObjectMeta } | null)?.metadata;
    // Timestamps stay strings, as the watched Jobs have them (readers take both).
    return metadata === undefined ? body : { ...body, metadata };
  }

  /** One page of a list, as plain JSON (the informer's ListAnswer). */
  private async listPage<T>(what: string, path: string, page: ListPage): Promise<ListAnswer<T>> {
    const query = { labelSelector: MANAGED_SELECTOR, limit: page.limit, continue: page.continue };
    const answer = await withApiErrors(`list ${what} in ${this.options.namespace}`, () =>
      requestJson({ method: "GET", path, query }, this.requests()),
    )();
    const list = answer as { items?: T[]; metadata?: { resourceVersion?: string; continue?: string } };
    const meta = list.metadata ?? {};
    return {
      items: list.items ?? [],
      metadata: {
        ...(meta.resourceVersion === undefined ? {} : { resourceVersion: meta.resourceVersion }),
        ...(meta.continue === undefined || meta.continue === "" ? {} : { _continue: meta.continue }),
      },
    };
  }

  /** How plain JSON requests go: the KubeConfig's authentication, the runner's keep-alive connections. */
  private requests(): JsonRequestOptions {
    const clients = this.clients;
    const kubeConfig = this.options.kubeConfig;
    return clients === null ? { kubeConfig } : { kubeConfig, agentFor: (made) => clients.agentFor(made) };
  }

  private onJob(event: InformerEvent, job: V1Job): void {
    const name = job.metadata?.name ?? "";
    this.created.delete(name);
    if (event === "delete") {
      this.observations.forget(name);
      this.jobGone(name, job);
    }
    this.notify();
  }

  /** A Job disappeared: expected after remove(); otherwise its run is recorded as vanished. */
  private jobGone(name: string, job: V1Job): void {
    this.progress.forget(name);
    const pod = this.lastPod.get(name) ?? null;
    this.lastPod.delete(name);
    if (this.removing.delete(name) || isHelperObject(job)) return;
    const cleanup = this.options.options.imageService === undefined ? null : imsCleanupOf({ job, pod });
    if (cleanup !== null) this.vanishedCleanup.set(name, cleanup);
    const obs = observeJob({ job, pod });
    if (obs === null || sessionOfJob(job) === null) return;
    const vanished = vanishedObservation(obs, formatTime(this.now()));
    if (vanished !== obs)
      this.log.warn({ session: obs.name, job: name }, "Job deleted before the session ended");
    this.vanished.set(name, vanished);
  }

  private onPod(event: InformerEvent, pod: V1Pod): void {
    const job = jobOfPod(pod);
    if (job === null || isHelperObject(pod)) return;
    if (event === "delete") {
      if (this.jobs.get(job) === undefined) this.lastPod.delete(job);
    } else if (isNewerPod(pod, this.lastPod.get(job))) {
      this.lastPod.set(job, pod);
    }
    this.notify();
  }

  private notify(): void {
    notifyListeners(this.listeners, this.log);
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return (this.options.sleep ?? realSleep)(ms, signal);
  }
}

/** `ttlSecondsAfterFinished` of a session: its `session_ttl` in seconds; null when it never expires. */
export function ttlSeconds(sessionTtl: string | undefined): number | null {
  const text = sessionTtl ?? DEFAULT_SESSION_TTL;
  if (text.trim() === "") return null;
  const ms = parseDuration(text) ?? parseDuration(DEFAULT_SESSION_TTL) ?? 0;
  return Math.floor(ms / 1000);
}

/** `call`, with its failures as KubernetesApiError saying what was attempted. */
function withApiErrors<T>(action: string, call: () => Promise<T>): () => Promise<T> {
  return () =>
    call().catch((error: unknown) => {
      throw apiError(action, error);
    });
}

/** The Job that owns a pod (its controller reference), or null. */
function jobOfPod(pod: V1Pod): string | null {
  const owner = pod.metadata?.ownerReferences?.find((ref) => ref.kind === "Job" && ref.controller === true);
  return owner?.name ?? null;
}

/** Whether `pod` is the same pod as `known` (a newer state of it) or a pod created after it. */
function isNewerPod(pod: V1Pod, known: V1Pod | undefined): boolean {
  if (known === undefined || known.metadata?.uid === pod.metadata?.uid) return true;
  return createdAt(pod) >= createdAt(known);
}

function createdAt(object: V1Job | V1Pod): number {
  const stamp = object.metadata?.creationTimestamp;
  return stamp === undefined ? 0 : new Date(stamp).getTime();
}

function informerTuning(watch: KubernetesWatchOptions | undefined): {
  watchTimeoutSeconds?: number;
  quietMs?: number;
  minRetryMs?: number;
  maxRetryMs?: number;
} {
  return {
    ...(watch?.timeoutSeconds === undefined ? {} : { watchTimeoutSeconds: watch.timeoutSeconds }),
    ...(watch?.quietMs === undefined ? {} : { quietMs: watch.quietMs }),
    ...(watch?.minRetryMs === undefined ? {} : { minRetryMs: watch.minRetryMs }),
    ...(watch?.maxRetryMs === undefined ? {} : { maxRetryMs: watch.maxRetryMs }),
  };
}
