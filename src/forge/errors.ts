/**
 * Errors of the forge room (GitHub, Gitea, GitLab REST calls), with a stable `code`, a retry class
 * and a `data` object that never holds the token. A rate-limited answer carries how long to wait.
 */
import { CfsError, httpFailureClass, type FailureClass } from "../api/errors.js";

/** Stable codes of ForgeError. */
export type ForgeErrorCode = "http" | "rate-limited" | "unreachable" | "invalid-response" | "token";

/** A forge request that failed; `message` names the method, path and status, never the token. */
export class ForgeError extends CfsError {
  readonly code: ForgeErrorCode;
  readonly retry: FailureClass;
  /** The HTTP status, or null when there was no answer. */
  readonly status: number | null;
  /** How long the forge asked us to wait (rate limits), or null. */
  readonly retryAfterMs: number | null;

  constructor(input: {
    code: ForgeErrorCode;
    message: string;
    status?: number | null;
    retryAfterMs?: number | null;
    cause?: unknown;
  }) {
    const status = input.status ?? null;
    super(input.message, { status }, input.cause === undefined ? undefined : { cause: input.cause });
    this.code = input.code;
    this.status = status;
    this.retryAfterMs = input.retryAfterMs ?? null;
    this.retry = forgeFailureClass(input.code, status);
  }
}

function forgeFailureClass(code: ForgeErrorCode, status: number | null): FailureClass {
  if (code === "rate-limited" || code === "unreachable") return "transient";
  if (code === "http") return httpFailureClass(status);
  return "stalling";
}

/** True for errors of this room. */
export function isForgeError(error: unknown): error is ForgeError {
  return error instanceof ForgeError;
}
