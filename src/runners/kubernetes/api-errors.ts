/**
 * Kubernetes API failures, mapped once at the edge: the HTTP status of an ApiException, whether a
 * retry may help, and a one-line message (the API's own `Status.message`, never headers or tokens).
 */
import { ApiException } from "@kubernetes/client-node";
import { failureMessage, CfsError, httpFailureClass, type FailureClass } from "../../api/errors.js";

/**
 * A Kubernetes API call that failed; `status` is the HTTP status, or null when the server was not
 * reached. Its class follows the status: no answer, 408, 429 and 5xx are transient; a request the
 * API refuses (other 4xx: invalid Job, forbidden) is stalling.
 */
export class KubernetesApiError extends CfsError {
  readonly code = "KubernetesApiError";
  readonly retry: FailureClass;

  /** What was attempted (`create Job x`), and the status and message of the failure. */
  constructor(
    readonly action: string,
    readonly status: number | null,
    detail: string,
  ) {
    super(`could not ${action}: ${status === null ? "" : `${status} `}${detail}`, { action, status });
    this.retry = httpFailureClass(status);
  }
}

/** The HTTP status of a client-node error, or null for network errors and the like. */
export function apiStatus(error: unknown): number | null {
  return error instanceof ApiException ? (error as ApiException<unknown>).code : null;
}

/** The error as a KubernetesApiError with the API's own message. */
export function apiError(action: string, error: unknown): KubernetesApiError {
  if (error instanceof ApiException) {
    const exception = error as ApiException<unknown>;
    return new KubernetesApiError(action, exception.code, statusMessage(exception.body) ?? "no message");
  }
  return new KubernetesApiError(action, null, failureMessage(error));
}

/** `message` of a Kubernetes Status body (JSON text or an object), if it has one. */
function statusMessage(body: unknown): string | null {
  let value = body;
  if (typeof body === "string") {
    try {
      value = JSON.parse(body);
    } catch {
      return body.trim() === "" ? null : body.trim().slice(0, 500);
    }
  }
  const message = (value as { message?: unknown } | null)?.message;
  return typeof message === "string" ? message : null;
}
