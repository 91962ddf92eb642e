/** The clone retries of the local runner, from the environment (CFS's operator reads the same two settings). */
import { DEFAULT_CLONE_RETRY, type CloneRetry } from "../runners/steps/clone-steps.js";

/** What resolveCloneRetry reads; a bad value is thrown as a message for ConfigError. */
export type CloneRetryEnv = Readonly<Record<string, string | undefined>>;

/**
 * `CFS_GITOPS_GIT_RETRY_MAX` (tries in all, at least 1; CFS: 60) and `CFS_GITOPS_GIT_RETRY_DELAY`
 * (seconds between tries; CFS: 10). Returns the retries, or the message of a bad setting.
 */
export function resolveCloneRetry(env: CloneRetryEnv): CloneRetry | { error: string } {
  const maxText = env["CFS_GITOPS_GIT_RETRY_MAX"];
  const delayText = env["CFS_GITOPS_GIT_RETRY_DELAY"];
  const attempts = maxText === undefined ? DEFAULT_CLONE_RETRY.attempts : Number(maxText);
  if (!Number.isInteger(attempts) || attempts < 1)
    return { error: `CFS_GITOPS_GIT_RETRY_MAX=${maxText ?? ""}: must be a whole number of at least 1` };
  const seconds = delayText === undefined ? DEFAULT_CLONE_RETRY.delayMs / 1000 : Number(delayText);
  if (!Number.isFinite(seconds) || seconds < 0 || delayText?.trim() === "")
    return {
      error: `CFS_GITOPS_GIT_RETRY_DELAY=${delayText ?? ""}: must be a number of seconds (0 or more)`,
    };
  return { attempts, delayMs: seconds * 1000, maxDelayMs: seconds * 1000 };
}
