/** Typed errors of the jobs room: a stable `code` and a `data` object, never matched by message text. */
import { CfsError } from "../api/errors.js";

/** Why a RunSpec cannot become a Job. */
export type BuildJobErrorCode =
  | "invalid-job-name"
  | "duplicate-layer-index"
  | "invalid-layer-index"
  | "run-spec-too-large"
  | "inventory-too-large"
  | "too-many-layers-for-layout";

/**
 * A RunSpec that cannot become a valid Job. Stalling: the same spec fails the same way every time,
 * so the caller records it as the session's failure instead of retrying.
 */
export class BuildJobError extends CfsError {
  readonly retry = "session";

  /** Describes the problem; `data` carries the offending values for the status record. */
  constructor(
    readonly code: BuildJobErrorCode,
    message: string,
    override readonly data: Record<string, string | number>,
  ) {
    super(message, data);
  }
}
