/** Errors of the controller loop, on the project's error base. */
import { CfsError } from "../api/errors.js";

/** The watched branch does not exist (yet): stalling, until someone pushes it or fixes --branch. */
export class WatchedBranchMissingError extends CfsError {
  readonly code = "WatchedBranchMissingError";
  readonly retry = "stalling";
}
