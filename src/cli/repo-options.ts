/** The repository options every repository command takes, and opening the repository they name. */
import type { Command } from "commander";
import type { Logger } from "pino";
import type { ConfigSource, StatusStore } from "../git/types.js";
import { resolveRepoConfig, type RepoConfig, type RepoFlags } from "./config.js";
import { createLogger } from "./logger.js";
import { openRepository } from "./open-repo.js";

/** Flags shared by repository commands. */
export interface GlobalFlags extends RepoFlags {
  logLevel?: string;
}

/** Adds --repo, --branch, --status-branch, --data-dir, --git-credentials-file and --log-level. */
export function addRepoOptions(command: Command): Command {
  return command
    .option(
      "--repo <path|url>",
      "configuration repository: a local path or an http(s) URL [env CFS_GITOPS_REPO]",
    )
    .option("--branch <name>", "watched branch [env CFS_GITOPS_BRANCH]", undefined)
    .option("--status-branch <name>", "status branch [env CFS_GITOPS_STATUS_BRANCH] (default cfs-status)")
    .option("--data-dir <dir>", "where runs, logs and caches live [env CFS_GITOPS_DATA_DIR]")
    .option(
      "--git-credentials-file <file>",
      "file with username:password for the remote [env CFS_GITOPS_GIT_CREDENTIALS_FILE; or CFS_GITOPS_GIT_USERNAME + CFS_GITOPS_GIT_PASSWORD]",
    )
    .option("--log-level <level>", "log level on stderr: debug, info, warn, error", "warn");
}

/** What a repository command works with. */
export interface RepoContext {
  config: RepoConfig;
  log: Logger;
  source: ConfigSource;
  status: StatusStore;
}

/** Opens the repository named by the flags, runs `work`, and always releases it. */
export async function withRepo(
  flags: GlobalFlags,
  work: (context: RepoContext) => Promise<void>,
): Promise<void> {
  const config = resolveRepoConfig(flags, process.env);
  const log = createLogger({ level: flags.logLevel ?? "warn" });
  const repo = await openRepository({ config, log });
  try {
    await work({ config, log, source: repo.source, status: repo.status });
  } finally {
    await repo.close();
  }
}
