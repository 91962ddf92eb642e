/**
 * Errors of the image room, with a stable `code` to switch on and a `data` object with details
 * (never credentials). Messages are plain sentences: they become a session's `reason`.
 */

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
export class ImageServiceError extends Error {
  readonly code: ImageErrorCode;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(input: {
    code: ImageErrorCode;
    message: string;
    data?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super(input.message, input.cause === undefined ? undefined : { cause: input.cause });
    this.name = "ImageServiceError";
    this.code = input.code;
    this.data = input.data ?? {};
  }
}

/** True for errors of this room. */
export function isImageServiceError(error: unknown): error is ImageServiceError {
  return error instanceof ImageServiceError;
}

/** The plain message of any error (an ImageServiceError's own, else `Error.message`). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The error an aborted wait throws. */
export function cancelledError(what: string): ImageServiceError {
  return new ImageServiceError({
    code: "cancelled",
    message: `${what}: cancelled (the session was deleted)`,
  });
}
