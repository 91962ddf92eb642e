/** The local runner: every step of a session runs as a process on this machine. */
export { createLocalRunner, type LocalRunnerOptions } from "./create-local-runner.js";
export { sourceBranchResolver } from "./resolve-source-branch.js";
export type { SourceDirs } from "./source-access.js";
