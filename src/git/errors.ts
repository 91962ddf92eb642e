/**
 * Typed errors of the git room, on the project's one error base (api/errors.ts), classed by what
 * the caller should do (Flux style): `transient` back off and retry, `stalling` a human must fix
 * something. Messages and `data` are scrubbed of credentials before an error is built.
 */
import { CfsError, type FailureClass } from "../api/errors.js";

/** What the caller should do about an error (the project's FailureClass). */
export type RetryClass = FailureClass;

/** Base class: a stable `code` to switch on and a `data` object with details (never credentials). */
export abstract class GitError extends CfsError {}

/**
 * A git command failed in a way no retry will fix by itself (bad arguments, corrupt repository,
 * a branch that does not exist): stalling, so the loop says so instead of spinning.
 */
export class GitCommandError extends GitError {
  readonly code = "GitCommandError";
  readonly retry = "stalling";
}

/** Talking to the remote failed (network, timeout, server error): back off and try again. */
export class GitFetchError extends GitError {
  readonly code = "GitFetchError";
  readonly retry = "transient";
}

/**
 * The branch moved under us (someone else pushed first). The status store rebuilds on the new tip
 * at once within its own retries; one that escapes them is transient: the next pass tries again.
 */
export class PushRejectedError extends GitError {
  readonly code = "PushRejectedError";
  readonly retry = "transient";
}

/** The remote refused our credentials (401/403): retrying will not help until they are fixed. */
export class GitAuthError extends GitError {
  readonly code = "GitAuthError";
  readonly retry = "stalling";
}

/** True for any error of this room. */
export function isGitError(error: unknown): error is GitError {
  return error instanceof GitError;
}
