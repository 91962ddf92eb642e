/**
 * The one place that turns a failure's class into what the controller does about it (Flux's
 * reconcile result), and the jittered backoff of the retries. Pure: randomness comes in as data.
 */
import type { FailureClass } from "../api/index.js";

/** Where a failure happened: the pass itself (fetch, status), or one action of it. */
export type FailureScope = "pass" | "start" | "remove";

/** What to do about a failure. */
export interface FailureDecision {
  /** When to try again: soon with jittered backoff, at the next resync or trigger, or never. */
  retry: "backoff" | "resync" | "none";
  /** The session fails, `succeeded: false` with the reason (a start that cannot succeed). */
  failSession: boolean;
  /** The loop reports itself stalled (`/readyz`, metrics) until a pass succeeds. */
  stall: boolean;
}

/**
 * - transient (5xx, timeouts, resets), anywhere: back off and retry; nothing is recorded as failed
 *   (a session whose start failed stays pending).
 * - a start that fails for good (stalling: the API refuses the Job; session: its spec cannot run):
 *   the session fails with the reason; the loop goes on.
 * - a pass or a removal that fails for good (bad credentials, a refused request): the loop stalls
 *   visibly and tries again at the next resync or trigger (a removal stays planned until done).
 */
export function decideFailure(failure: FailureClass, scope: FailureScope): FailureDecision {
  if (failure === "transient") return { retry: "backoff", failSession: false, stall: false };
  if (scope === "start") return { retry: "none", failSession: true, stall: false };
  return { retry: "resync", failSession: false, stall: true };
}

/** Settings of backoffMs. */
export interface BackoffInput {
  /** 1 for the first retry. */
  attempt: number;
  baseMs: number;
  maxMs: number;
  /** A number in [0, 1), Math.random in production. */
  random: number;
}

/** Exponential backoff with jitter: base * 2^(attempt-1), capped at max, then scaled into [50%, 100%]. */
export function backoffMs(input: BackoffInput): number {
  const exponent = Math.min(Math.max(input.attempt, 1) - 1, 30);
  const capped = Math.min(input.maxMs, input.baseMs * 2 ** exponent);
  const jitter = 0.5 + 0.5 * Math.min(Math.max(input.random, 0), 1);
  return Math.round(capped * jitter);
}
