/**
 * The one error base of every room (git, jobs, images, the Kubernetes API) and the one function
 * that decides what a failure means, the way Flux's reconcile errors do: an error carries a stable
 * `code`, a `data` object (never credentials) and a retry class; nothing matches message text.
 */

/**
 * What a failure means for the caller:
 * - `transient`: the world may heal by itself (5xx, timeouts, a reset connection): back off and
 *   retry; nothing is recorded as failed.
 * - `stalling`: a human must fix something (bad credentials, a request the server refuses): the
 *   session fails with a reason, or the loop stalls visibly until the cause is fixed.
 * - `session`: the session's own failure (its spec cannot run): recorded as its outcome.
 */
export type FailureClass = "transient" | "stalling" | "session";

/** Every failure class, in a fixed order (for metrics). */
export const FAILURE_CLASSES: readonly FailureClass[] = ["transient", "stalling", "session"];

/** Base of the project's typed errors: a stable `code`, a retry class and a `data` object. */
export abstract class CfsError extends Error {
  abstract readonly code: string;
  abstract readonly retry: FailureClass;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(message: string, data: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.data = data;
  }
}

/** True for any error built on CfsError. */
export function isCfsError(error: unknown): error is CfsError {
  return error instanceof CfsError;
}

/** Node's codes of network failures that a later try may not meet. */
const TRANSIENT_SYSTEM_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENETDOWN",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
  "UND_ERR_HEADERS_TIMEOUT",
  "UND_ERR_BODY_TIMEOUT",
]);

/**
 * The class of any failure: a CfsError's own; a network error of Node (connection reset or
 * refused, timeouts, DNS not answering) or an aborted/timed-out wait is transient; anything else
 * (a bug, a refusal nobody typed) is stalling, so it is seen and never retried in a tight loop.
 */
export function failureClass(error: unknown): FailureClass {
  if (isCfsError(error)) return error.retry;
  if (!(error instanceof Error)) return "stalling";
  if (error.name === "TimeoutError") return "transient";
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && TRANSIENT_SYSTEM_CODES.has(code)) return "transient";
  const cause = (error as { cause?: unknown }).cause;
  return cause instanceof Error && cause !== error ? failureClass(cause) : "stalling";
}

/** The class of an HTTP answer's status: 408, 429 and 5xx (or no answer) transient, other 4xx stalling. */
export function httpFailureClass(status: number | null): FailureClass {
  if (status === null || status === 408 || status === 429 || status >= 500) return "transient";
  return "stalling";
}

/** The plain message of any error. */
export function failureMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
