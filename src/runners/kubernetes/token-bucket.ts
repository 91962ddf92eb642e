/**
 * The client-side rate limit of the kubernetes runner's writes, as Kubernetes clients have one
 * (client-go's `QPS` and `Burst`): a token bucket holding up to `burst` tokens, refilled at `qps`
 * tokens a second. `reserveToken` is pure: it takes the bucket and the time and returns the next
 * bucket and how long the caller must wait before its request (a reservation, like Go's
 * `rate.Limiter.Reserve`: tokens may go below zero, so callers waiting together are spaced out
 * instead of all waking at once).
 */

/** The bucket between two reservations. */
export interface TokenBucket {
  /** Tokens left (below zero: reserved ahead by callers still waiting). */
  tokens: number;
  /** When `tokens` was counted (ms). */
  at: number;
}

/** The rate: `qps` tokens a second, at most `burst` kept. */
export interface TokenRate {
  qps: number;
  burst: number;
}

/**
 * 50 writes a second, bursts of 100. client-go's own default (5/10) dates from before the API
 * server protected itself (API Priority and Fairness, on by default since Kubernetes 1.20): at 5 a
 * second, 1,000 sessions a batcher releases at once would take over 3 minutes to reach their Jobs.
 * kubectl raised its own to 50/300 for the same reason; 50/100 keeps a controller's steady rate at
 * kubectl's and its bursts smaller.
 */
export const DEFAULT_KUBE_RATE: TokenRate = { qps: 50, burst: 100 };

/** A full bucket at `now`: the first `burst` requests go at once. */
export function fullBucket(rate: TokenRate, now: number): TokenBucket {
  return { tokens: rate.burst, at: now };
}

/** Take one token at `now`: the bucket after it, and the wait (ms) before the request may go. */
export function reserveToken(
  bucket: TokenBucket,
  input: { rate: TokenRate; now: number },
): { bucket: TokenBucket; waitMs: number } {
  const { rate, now } = input;
  const elapsed = Math.max(0, now - bucket.at);
  const refilled = Math.min(rate.burst, bucket.tokens + (elapsed * rate.qps) / 1000);
  const tokens = refilled - 1;
  const waitMs = tokens >= 0 ? 0 : (-tokens * 1000) / rate.qps;
  return { bucket: { tokens, at: Math.max(now, bucket.at) }, waitMs };
}

/** Whether a rate can be used: qps and burst positive, finite, burst at least 1. */
export function isValidRate(rate: TokenRate): boolean {
  return Number.isFinite(rate.qps) && rate.qps > 0 && Number.isInteger(rate.burst) && rate.burst >= 1;
}
