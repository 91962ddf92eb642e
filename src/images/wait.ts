/** Polling with a deadline: every wait of the image service ends, by success, timeout or cancel. */
import type { Sleep } from "../git/sleep.js";
import { ImageServiceError, cancelledError } from "./errors.js";

/** The clock and sleep of the waits, injected so tests control time. */
export interface WaitTools {
  /** Milliseconds since some epoch. */
  now: () => number;
  sleep: Sleep;
}

/** One look at the thing being waited for: done with a value, or not yet with what it is now. */
export type Poll<T> = { done: true; value: T } | { done: false; seen: string };

/** Inputs of waitUntil. */
export interface WaitInput<T> {
  /** What is awaited, for messages: `IMS job 1234 to reach waiting_on_user`. */
  what: string;
  timeoutMs: number;
  pollMs: number;
  signal: AbortSignal;
  tools: WaitTools;
  /** Looks once; throwing ends the wait with that error. */
  check: () => Promise<Poll<T>>;
}

/**
 * Calls `check` until it is done, sleeping `pollMs` between looks. Throws ImageServiceError
 * `timeout` (saying what was last seen) when `timeoutMs` passes, `cancelled` when `signal` aborts.
 */
export async function waitUntil<T>(input: WaitInput<T>): Promise<T> {
  const deadline = input.tools.now() + input.timeoutMs;
  for (;;) {
    if (input.signal.aborted) throw cancelledError(input.what);
    const poll = await input.check();
    if (poll.done) return poll.value;
    const left = deadline - input.tools.now();
    if (left <= 0) throw timeoutError(input, poll.seen);
    await pause(input, Math.min(input.pollMs, left));
  }
}

async function pause<T>(input: WaitInput<T>, ms: number): Promise<void> {
  try {
    await input.tools.sleep(ms, input.signal);
  } catch (error) {
    if (input.signal.aborted) throw cancelledError(input.what);
    throw error;
  }
}

function timeoutError<T>(input: WaitInput<T>, seen: string): ImageServiceError {
  return new ImageServiceError({
    code: "timeout",
    message: `timed out after ${formatDuration(input.timeoutMs)} waiting for ${input.what} (last seen: ${seen})`,
    data: { timeoutMs: input.timeoutMs, seen },
  });
}

/** `30m`, `90s`, `1500 ms`: the shortest exact form of a duration. */
export function formatDuration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1_000 && ms % 1_000 === 0) return `${ms / 1_000}s`;
  return `${ms} ms`;
}
