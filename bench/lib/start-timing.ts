/**
 * A Runner decorator that counts start() calls, remembers when the last one returned, and how many
 * were in flight at most.
 */
import type { RunSpec } from "../../src/api/index.js";
import type { Runner } from "../../src/runners/types.js";

/** See the module comment. */
export class StartTiming implements Runner {
  lastReturn = 0;
  starts = 0;
  /** The most start() calls in flight at once. */
  maxInFlight = 0;
  private inFlight = 0;
  /** The inner runner's: without it the controller would start one run at a time. */
  readonly startConcurrency?: number;

  constructor(private readonly inner: Runner) {
    if (inner.startConcurrency !== undefined) this.startConcurrency = inner.startConcurrency;
  }

  async start(spec: RunSpec): Promise<void> {
    this.starts++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.inner.start(spec);
    } finally {
      this.inFlight--;
    }
    this.lastReturn = performance.now();
  }

  remove(name: string, job: string): Promise<void> {
    return this.inner.remove(name, job);
  }

  observe(): ReturnType<Runner["observe"]> {
    return this.inner.observe();
  }

  onChange(callback: () => void): void {
    this.inner.onChange(callback);
  }

  readLog(job: string, step: string): Promise<string | null> {
    return this.inner.readLog(job, step);
  }

  isReady(): boolean {
    return this.inner.isReady();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
