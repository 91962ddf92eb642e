/**
 * Errors of the image room, with a stable `code` to switch on and a `data` object with details
 * (never credentials). Messages are plain sentences: they become a session's `reason`.
 */

import { failureMessage, CfsError, type FailureClass } from "../api/errors.js";

/** Stable codes of ImageServiceError. */
export type ImageErrorCode =
  | "not-found"
  | "timeout"
  | "ims-job-error"
  | "http"
  | "invalid-response"
  | "cancelled"
  | "tool-missing"
  | "command-failed"
  | "invalid-input";

/** Something the image service could not do; `message` says what, for the session's reason. */
export class ImageServiceError extends CfsError {
  readonly code: ImageErrorCode;
  readonly retry: FailureClass;

  constructor(input: {
    code: ImageErrorCode;
    message: string;
    data?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super(input.message, input.data ?? {}, input.cause === undefined ? undefined : { cause: input.cause });
    this.code = input.code;
    this.retry = imageFailureClass(input.code, input.data?.["transient"] === true);
  }
}

/**
 * The class of an image failure: a wait that ran out, or an HTTP call the room marks `transient`
 * (no answer, 5xx), may pass later; a refused request, a missing image or tool, or bad input is stalling;
 * an IMS job that failed or a command of the session that failed is the session's own.
 */
function imageFailureClass(code: ImageErrorCode, transient: boolean): FailureClass {
  if (code === "timeout" || transient) return "transient";
  if (code === "ims-job-error" || code === "command-failed" || code === "cancelled") return "session";
  return "stalling";
}

/** True for errors of this room. */
export function isImageServiceError(error: unknown): error is ImageServiceError {
  return error instanceof ImageServiceError;
}

/** The plain message of any error (an ImageServiceError's own, else `Error.message`). */
export function errorText(error: unknown): string {
  return failureMessage(error);
}

/** The error an aborted wait throws. */
export function cancelledError(what: string): ImageServiceError {
  return new ImageServiceError({
    code: "cancelled",
    message: `${what}: cancelled (the session was deleted)`,
  });
}
