/**
 * Forge calls off the controller's path: a queue of keyed tasks run one at a time. A task queued
 * under a key already waiting replaces it (the newer status wins; nothing piles up); a transient
 * failure is retried with jittered backoff (a rate limit waits as long as the forge asked); a
 * failure no retry fixes, or the last attempt, drops the task with one log line. `enqueue` never
 * throws and never waits, so the forge being down never blocks a pass.
 */
import type { Logger } from "pino";
import { failureClass, failureMessage } from "../api/errors.js";
import { backoffMs } from "../plan/index.js";
import { realSleep, type Sleep } from "../git/sleep.js";
import { isForgeError } from "./errors.js";

/** One call to make. */
export interface ForgeTask {
  /** Tasks with the same key replace each other while waiting (`status <sha> <context>`). */
  key: string;
  /** For the log line (never a token). */
  what: string;
  run: () => Promise<void>;
}

/** Options of ForgeQueue. */
export interface ForgeQueueOptions {
  log: Logger;
  sleep?: Sleep;
  random?: () => number;
  /** Tries of one task before it is dropped; default 6. */
  maxAttempts?: number;
  /** Backoff: first retry after about `baseMs`, doubling up to `maxMs`; default 1 s and 60 s. */
  retry?: { baseMs: number; maxMs: number };
  /** Waiting tasks beyond this are dropped, oldest first; default 1000. */
  maxWaiting?: number;
}

/** What happened to tasks so far (for tests and metrics). */
export interface ForgeQueueCounts {
  done: number;
  retried: number;
  dropped: number;
  replaced: number;
}

/** The queue (see the module comment). */
export class ForgeQueue {
  private readonly waiting = new Map<string, ForgeTask>();
  private readonly sleep: Sleep;
  private worker: Promise<void> | null = null;
  private closed = false;
  /** Cuts a backoff short on close. */
  private readonly stopping = new AbortController();
  readonly counts: ForgeQueueCounts = { done: 0, retried: 0, dropped: 0, replaced: 0 };

  constructor(private readonly options: ForgeQueueOptions) {
    this.sleep = options.sleep ?? realSleep;
  }

  /** Queues `task` (replacing a waiting one with its key) and starts the worker if idle. */
  enqueue(task: ForgeTask): void {
    if (this.closed) return;
    if (this.waiting.delete(task.key)) this.counts.replaced += 1;
    this.waiting.set(task.key, task);
    this.trimWaiting();
    this.startWorker();
  }

  /** Resolves when nothing waits or runs (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /** Stops taking tasks; waiting ones are dropped after the one running. */
  async close(): Promise<void> {
    this.closed = true;
    this.waiting.clear();
    this.stopping.abort();
    await this.idle();
  }

  /**
   * Starts the worker unless it runs. It starts on the next tick (a task that queues another while
   * it runs must find it set), and again when a task arrived while it was finishing.
   */
  private startWorker(): void {
    if (this.worker || this.closed) return;
    this.worker = Promise.resolve()
      .then(() => this.drain())
      .finally(() => {
        this.worker = null;
        if (this.waiting.size > 0) this.startWorker();
      });
  }

  private trimWaiting(): void {
    const max = this.options.maxWaiting ?? 1000;
    for (const key of this.waiting.keys()) {
      if (this.waiting.size <= max) break;
      const task = this.waiting.get(key);
      this.waiting.delete(key);
      this.counts.dropped += 1;
      this.options.log.warn({ forge: task?.what }, "forge queue full: dropped the oldest call");
    }
  }

  private async drain(): Promise<void> {
    for (;;) {
      const next = this.waiting.entries().next();
      if (next.done) return;
      const [key, task] = next.value;
      this.waiting.delete(key);
      await this.attempt(task);
    }
  }

  /** Runs `task` until it succeeds, is replaced by a newer one, fails for good, or runs out of tries. */
  private async attempt(task: ForgeTask): Promise<void> {
    const maxAttempts = this.options.maxAttempts ?? 6;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await task.run();
        this.counts.done += 1;
        return;
      } catch (error) {
        const last = attempt >= maxAttempts || failureClass(error) !== "transient" || this.closed;
        if (last) {
          this.drop(task, error, attempt);
          return;
        }
        this.counts.retried += 1;
        await this.sleep(this.delay(error, attempt), this.stopping.signal).catch(() => undefined);
        // A newer task of the same key replaces this one: no point in retrying the old one.
        if (this.waiting.has(task.key)) return;
      }
    }
  }

  private delay(error: unknown, attempt: number): number {
    const { baseMs, maxMs } = this.options.retry ?? { baseMs: 1_000, maxMs: 60_000 };
    const asked = isForgeError(error) ? error.retryAfterMs : null;
    if (asked !== null) return asked;
    return backoffMs({ attempt, baseMs, maxMs, random: (this.options.random ?? Math.random)() });
  }

  private drop(task: ForgeTask, error: unknown, attempts: number): void {
    this.counts.dropped += 1;
    this.options.log.warn(
      { forge: task.what, attempts, failure: failureClass(error), err: failureMessage(error) },
      "forge call dropped",
    );
  }
}
