/**
 * The rate of writes per caller: a token bucket per token name (`burst` writes at once, refilled at
 * `perSecond`). A caller over its rate gets 429 with Retry-After; readers are never limited.
 */

/** Settings of a WriteRateLimiter. */
export interface WriteRateOptions {
  perSecond: number;
  burst: number;
  /** Milliseconds of the clock (injected so tests control time). */
  now: () => number;
}

/** Default: 10 writes a second per caller, 50 at once. */
export const DEFAULT_WRITE_RATE = { perSecond: 10, burst: 50 } as const;

/** Token buckets by caller name. */
export class WriteRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly options: WriteRateOptions) {}

  /** Takes one write for `caller`: null when allowed, else the seconds to wait before trying again. */
  take(caller: string): number | null {
    const { perSecond, burst } = this.options;
    const now = this.options.now();
    const bucket = this.buckets.get(caller) ?? { tokens: burst, at: now };
    const tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    if (tokens < 1) {
      this.buckets.set(caller, { tokens, at: now });
      return Math.max(1, Math.ceil((1 - tokens) / perSecond));
    }
    this.buckets.set(caller, { tokens: tokens - 1, at: now });
    return null;
  }
}
