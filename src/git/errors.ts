/**
 * Typed errors of the git room, classed by what the caller should do (Flux style):
 * `transient` back off and retry, `now` retry at once, `stalling` a human must fix something.
 * Messages and `data` are scrubbed of credentials before an error is built.
 */

/** What the caller should do about an error. */
export type RetryClass = "transient" | "now" | "stalling" | "none";

/** Base class: a stable `code` to switch on and a `data` object with details (never credentials). */
export abstract class GitError extends Error {
  abstract readonly code: string;
  abstract readonly retry: RetryClass;
  readonly data: Readonly<Record<string, unknown>>;

  constructor(message: string, data: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.data = data;
  }
}

/** A git command failed in a way no retry will fix by itself (bad arguments, corrupt repository, ...). */
export class GitCommandError extends GitError {
  readonly code = "GitCommandError";
  readonly retry = "none";
}

/** Talking to the remote failed (network, timeout, server error): back off and try again. */
export class GitFetchError extends GitError {
  readonly code = "GitFetchError";
  readonly retry = "transient";
}

/** The branch moved under us (someone else pushed first): rebuild on the new tip and retry now. */
export class PushRejectedError extends GitError {
  readonly code = "PushRejectedError";
  readonly retry = "now";
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
