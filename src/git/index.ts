/** The git room: the configuration source (local or remote) and the status branch store. */
export type * from "./types.js";
export { createLocalSource, type LocalSource, type LocalSourceOptions } from "./local-source.js";
export {
  cacheRepoPath,
  createRemoteSource,
  DEFAULT_POLL_INTERVAL_MS,
  DEFAULT_POLL_JITTER,
  type RemoteSource,
  type RemoteSourceOptions,
} from "./remote-source.js";
export type { Sleep } from "./sleep.js";
export {
  createStatusStore,
  DEFAULT_MAX_RETRIES,
  type PublishAttempt,
  type StatusRemote,
  type StatusStoreOptions,
} from "./status-store.js";
export type { Credentials } from "./credentials.js";
export {
  GitAuthError,
  GitCommandError,
  GitError,
  GitFetchError,
  isGitError,
  PushRejectedError,
  type RetryClass,
} from "./errors.js";
export { redactUrl, scrubSecrets } from "./scrub-secrets.js";
export { hashBlob, STATUS_IDENTITY } from "./fast-import.js";
export { resolveBranchCommit, type ResolveBranchInput } from "./resolve-branch.js";
