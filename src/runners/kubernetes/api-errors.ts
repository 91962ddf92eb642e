/**
 * Kubernetes API failures, mapped once at the edge: the HTTP status of an ApiException, whether a
 * retry may help, and a one-line message (the API's own `Status.message`, never headers or tokens).
 */
import { ApiException } from "@kubernetes/client-node";

/** A Kubernetes API call that failed; `code` is the HTTP status, or null when the server was not reached. */
export class KubernetesApiError extends Error {
  override readonly name = "KubernetesApiError";

  /** What was attempted (`create Job x`), and the status and message of the failure. */
  constructor(
    readonly action: string,
    readonly code: number | null,
    detail: string,
  ) {
    super(`could not ${action}: ${code === null ? "" : `${code} `}${detail}`);
  }
}

/** The HTTP status of a client-node error, or null for network errors and the like. */
export function apiStatus(error: unknown): number | null {
  return error instanceof ApiException ? (error as ApiException<unknown>).code : null;
}

/** Whether trying again later may succeed: the server was not reached, was busy, or failed itself. */
export function isTransient(error: unknown): boolean {
  const code = apiStatus(error);
  return code === null || code === 429 || code >= 500;
}

/** The error as a KubernetesApiError with the API's own message. */
export function apiError(action: string, error: unknown): KubernetesApiError {
  if (error instanceof ApiException) {
    const exception = error as ApiException<unknown>;
    return new KubernetesApiError(action, exception.code, statusMessage(exception.body) ?? "no message");
  }
  return new KubernetesApiError(action, null, error instanceof Error ? error.message : String(error));
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
