/** The shell of the token bucket: one per runner, with the injected clock and sleep. */
import type { Sleep } from "../../git/sleep.js";
import { fullBucket, reserveToken, type TokenBucket, type TokenRate } from "./token-bucket.js";

/** Options of RateLimiter. */
export interface RateLimiterOptions {
  rate: TokenRate;
  /** The clock (ms). */
  now: () => number;
  sleep: Sleep;
}

/** Spaces the runner's API writes to `rate` (see token-bucket.ts). */
export class RateLimiter {
  private bucket: TokenBucket;

  constructor(private readonly options: RateLimiterOptions) {
    this.bucket = fullBucket(options.rate, options.now());
  }

  /** Resolves when one more request may go. */
  async take(): Promise<void> {
    const next = reserveToken(this.bucket, { rate: this.options.rate, now: this.options.now() });
    this.bucket = next.bucket;
    if (next.waitMs > 0) await this.options.sleep(next.waitMs);
  }
}
