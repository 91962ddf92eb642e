/**
 * A small informer: list, then watch from the list's resourceVersion, keeping a cache of one kind
 * of object in one namespace. Unlike client-node's ListWatch it restarts itself after any error
 * (with backoff), relists when the API server answers 410 Gone, and restarts a watch that goes
 * quiet: every watch asks the server to end it after `watchTimeoutSeconds`, so one that neither
 * delivers nor ends for longer than `quietMs` is a dead connection and is dropped.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Logger } from "pino";
import { failureMessage } from "../../api/errors.js";

/** The client-node `Watch` method the informer uses (so tests can pass their own). */
export interface WatchClient {
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, object: unknown) => void,
    done: (error: unknown) => void,
  ): Promise<AbortController>;
}

/** A list answer: items, the resourceVersion to watch from, and the token of the next page if any. */
export interface ListAnswer<T> {
  items: T[];
  metadata?: { resourceVersion?: string; _continue?: string };
}

/** Which page a list asks for: at most `limit` items, after `continue` (none: the first page). */
export interface ListPage {
  limit: number;
  continue?: string;
}

/**
 * Objects per list request (client-go's reflector pages by 500 too): the answer to a list of every
 * Job at once is one string, and 10,000 Jobs with large run specs would pass the longest string V8
 * makes (~512 MiB), so the runner could not start; pages also bound the memory a list takes.
 */
export const LIST_PAGE_SIZE = 500;

/** What changed in the cache. */
export type InformerEvent = "add" | "update" | "delete";

/** Options of an Informer. */
export interface InformerOptions<T extends KubernetesObject> {
  /** What it watches, for logs (`jobs`). */
  name: string;
  /** The watch path, such as `/apis/batch/v1/namespaces/ns/jobs`. */
  path: string;
  labelSelector: string;
  /** One page of the list (pages of a list are one consistent snapshot on the server). */
  list: (page: ListPage) => Promise<ListAnswer<T>>;
  /** Objects per page (default LIST_PAGE_SIZE). */
  pageSize?: number;
  watch: WatchClient;
  log: Logger;
  onEvent: (event: InformerEvent, object: T) => void;
  /**
   * What is kept of each object listed or watched (client-go's SetTransform): applied before the
   * cache and onEvent see it, so fields nobody reads are not held for the object's life.
   */
  transform?: (object: T) => T;
  /** Seconds after which the server ends each watch (default 300). */
  watchTimeoutSeconds?: number;
  /** A watch with no line for this long is restarted (default: the watch timeout plus 30 s). */
  quietMs?: number;
  /** Backoff after an error: doubles from `minRetryMs` up to `maxRetryMs` (defaults 500 ms, 30 s). */
  minRetryMs?: number;
  maxRetryMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** How one watch ended: closed by the server, gone (410: relist), quiet (restart) or stopped. */
type WatchEnd = "closed" | "gone" | "quiet" | "stopped";

const DEFAULT_WATCH_TIMEOUT_SECONDS = 300;
const QUIET_GRACE_MS = 30_000;

/** A cache of one kind of object, kept current by list and watch. */
export class Informer<T extends KubernetesObject> {
  private readonly objects = new Map<string, T>();
  private resourceVersion = "";
  private stopped = false;
  private loop: Promise<void> | null = null;
  private abortWatch: (() => void) | null = null;
  private wake: (() => void) | null = null;
  private syncedOnce = false;
  private readonly syncWaiters: Array<() => void> = [];
  private lastErrorText: string | null = null;
  /** Times the cache was filled from a list (the first list and every relist). */
  lists = 0;

  constructor(private readonly options: InformerOptions<T>) {}

  /** Starts listing and watching; resolves once the first list has filled the cache. */
  start(): Promise<void> {
    this.stopped = false;
    this.loop ??= this.run().finally(() => {
      this.loop = null;
    });
    return this.synced();
  }

  /** Resolves once the cache has been filled by a list (at once if it has). */
  synced(): Promise<void> {
    if (this.syncedOnce) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  /** Whether the first list has filled the cache. */
  get hasSynced(): boolean {
    return this.syncedOnce;
  }

  /**
   * The last error the informer met, or null once it is in sync again: a list went well and the
   * watch that follows it is established (its answer has begun), not only when that watch ends.
   */
  get lastError(): string | null {
    return this.lastErrorText;
  }

  /** The cached objects. */
  list(): T[] {
    return [...this.objects.values()];
  }

  /** The cached object named `name`. */
  get(name: string): T | undefined {
    return this.objects.get(name);
  }

  /** Stops watching and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abortWatch?.();
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (this.resourceVersion === "") await this.relist();
        const end = await this.watchOnce();
        if (end === "gone") this.resourceVersion = "";
        if (end === "quiet")
          this.options.log.warn({ informer: this.options.name }, "watch went quiet; restarting it");
        failures = 0;
        this.lastErrorText = null;
      } catch (error) {
        failures += 1;
        this.lastErrorText = failureMessage(error);
        const delay = this.retryDelay(failures);
        this.options.log.warn(
          { informer: this.options.name, err: error, retryMs: delay },
          "list or watch failed; retrying",
        );
        await this.sleep(delay);
      }
    }
  }

  /**
   * Fills the cache from a list, page by page, reporting what was added, changed and deleted since
   * the last one (deletions once the last page is in).
   */
  private async relist(): Promise<void> {
    const limit = this.options.pageSize ?? LIST_PAGE_SIZE;
    const seen = new Set<string>();
    let token: string | undefined;
    let version: string;
    do {
      const answer = await this.options.list(token === undefined ? { limit } : { limit, continue: token });
      for (const item of answer.items) {
        seen.add(nameOf(item));
        this.put(this.kept(item));
      }
      version = answer.metadata?.resourceVersion ?? "";
      token = answer.metadata?._continue === "" ? undefined : answer.metadata?._continue;
    } while (token !== undefined);
    for (const [name, object] of [...this.objects]) {
      if (seen.has(name)) continue;
      this.objects.delete(name);
      this.options.onEvent("delete", object);
    }
    this.resourceVersion = version;
    this.lists += 1;
    this.markSynced();
  }

  private watchOnce(): Promise<WatchEnd> {
    return new Promise<WatchEnd>((resolve, reject) => {
      let settled = false;
      let controller: AbortController | null = null;
      let timer: NodeJS.Timeout | null = null;
      const finish = (end: WatchEnd | Error): void => {
        if (settled) return;
        settled = true;
        if (timer !== null) clearTimeout(timer);
        this.abortWatch = null;
        controller?.abort();
        if (end instanceof Error) reject(end);
        else resolve(end);
      };
      const arm = (): void => {
        if (timer !== null) clearTimeout(timer);
        timer = setTimeout(() => finish("quiet"), this.quietMs());
        timer.unref();
      };
      this.abortWatch = () => finish("stopped");
      if (this.stopped) return finish("stopped");
      arm();
      this.options.watch
        .watch(
          this.options.path,
          this.watchQuery(),
          (phase, object) => {
            arm();
            const end = this.apply(phase, object);
            if (end !== null) finish(end);
          },
          (error) => finish(watchDone(error)),
        )
        .then(
          (c) => {
            controller = c;
            if (settled) c.abort();
            else this.lastErrorText = null;
          },
          (error: unknown) => finish(asError(error)),
        );
    });
  }

  private watchQuery(): Record<string, string | number | boolean> {
    return {
      resourceVersion: this.resourceVersion,
      labelSelector: this.options.labelSelector,
      allowWatchBookmarks: true,
      timeoutSeconds: this.options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS,
    };
  }

  /** Applies one watch event; returns how the watch ends when the event ends it. */
  private apply(phase: string, object: unknown): WatchEnd | Error | null {
    if (phase === "ERROR") return watchErrorEnd(object);
    const item = this.kept(object as T);
    const version = item.metadata?.resourceVersion;
    if (phase === "ADDED" || phase === "MODIFIED") this.put(item);
    if (phase === "DELETED" && this.objects.delete(nameOf(item))) this.options.onEvent("delete", item);
    if (version !== undefined && version !== "") this.resourceVersion = version;
    return null;
  }

  private put(item: T): void {
    const name = nameOf(item);
    const old = this.objects.get(name);
    const version = item.metadata?.resourceVersion;
    if (old !== undefined && version !== undefined && old.metadata?.resourceVersion === version) return;
    this.objects.set(name, item);
    this.options.onEvent(old === undefined ? "add" : "update", item);
  }

  private kept(item: T): T {
    return this.options.transform?.(item) ?? item;
  }

  private markSynced(): void {
    if (this.syncedOnce) return;
    this.syncedOnce = true;
    for (const resolve of this.syncWaiters.splice(0)) resolve();
  }

  private quietMs(): number {
    const timeout = this.options.watchTimeoutSeconds ?? DEFAULT_WATCH_TIMEOUT_SECONDS;
    return this.options.quietMs ?? timeout * 1000 + QUIET_GRACE_MS;
  }

  private retryDelay(failures: number): number {
    const min = this.options.minRetryMs ?? 500;
    const max = this.options.maxRetryMs ?? 30_000;
    return Math.min(max, min * 2 ** Math.min(failures - 1, 16));
  }

  /** Waits `ms` (through the injected sleep, if any); stop() ends the wait early. */
  private sleep(ms: number): Promise<void> {
    const stoppedEarly = new Promise<void>((resolve) => (this.wake = resolve));
    const slept = this.options.sleep?.(ms) ?? new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
    return Promise.race([slept, stoppedEarly]).finally(() => {
      this.wake = null;
    });
  }
}

function nameOf(object: KubernetesObject): string {
  return object.metadata?.name ?? "";
}

/** How a watch that the server or the network ended should go on. */
function watchDone(error: unknown): WatchEnd | Error {
  if (error === null || error === undefined) return "closed";
  if (statusOf(error) === 410) return "gone";
  return asError(error);
}

/** An ERROR event: 410 (the resourceVersion is too old) means relist; anything else is an error. */
function watchErrorEnd(object: unknown): WatchEnd | Error {
  const status = object as { code?: number; message?: string } | null;
  if (status?.code === 410) return "gone";
  return new Error(`watch error ${status?.code ?? "?"}: ${status?.message ?? "no message"}`);
}

function statusOf(error: unknown): number | undefined {
  const e = error as { statusCode?: number; code?: number } | null;
  return e?.statusCode ?? (typeof e?.code === "number" ? e.code : undefined);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
