/** The repository options every repository command takes, and opening the repository they name. */
import type { Command } from "commander";
import type { Logger } from "pino";
import type { ConfigSource, StatusStore } from "../git/types.js";
import { parseDuration } from "../plan/duration.js";
import { ConfigError } from "./config-error.js";
import type { RepoConfig, RepoFlags } from "./repo-settings.js";
import { withConfigFile } from "./config-file.js";
import { processIo, type CliIo } from "./io.js";
import { createLazyLogger } from "./lazy-logger.js";
import { openRepository } from "./open-repo.js";
import { explainClone, followClone } from "./follow-clone.js";
import { resolveCliRepoConfig } from "./repo-config.js";

/** Flags shared by repository commands. */
export interface GlobalFlags extends RepoFlags {
  logLevel?: string;
}

/** Which kind of command the options are for: a write command's `--branch` names where to write. */
export interface RepoOptionsMode {
  write?: boolean;
  /** Default of --log-level: `warn` for commands, `info` for the long-running controller. */
  logLevel?: string;
}

const REPO_HELP =
  "configuration repository: a local path or an http(s) URL [env CFS_GITOPS_REPO; config file .cfs-gitops.yaml or ~/.config/cfs-gitops/config.yaml]";
const WRITE_BRANCH_HELP =
  "branch to commit to: the watched branch by default; another name pushes a new branch (from the watched branch) for a pull request";

/** Adds --repo, --branch, --status-branch, --data-dir, --git-credentials-file and --log-level. */
export function addRepoOptions(command: Command, mode: RepoOptionsMode = {}): Command {
  command.option("--repo <path|url>", REPO_HELP);
  if (mode.write) {
    command
      .option("--branch <name>", WRITE_BRANCH_HELP)
      .option("--base <name>", "the watched branch [env CFS_GITOPS_BRANCH] (default main)");
  } else {
    command.option("--branch <name>", "watched branch [env CFS_GITOPS_BRANCH] (default main)");
  }
  return command
    .option("--status-branch <name>", "status branch [env CFS_GITOPS_STATUS_BRANCH] (default cfs-status)")
    .option("--data-dir <dir>", "where runs, logs and caches live [env CFS_GITOPS_DATA_DIR]")
    .option(
      "--git-credentials-file <file>",
      "file with username:password for the remote [env CFS_GITOPS_GIT_CREDENTIALS_FILE; or CFS_GITOPS_GIT_USERNAME + CFS_GITOPS_GIT_PASSWORD]",
    )
    .option("--log-level <level>", "log level on stderr: debug, info, warn, error", mode.logLevel ?? "warn");
}

/** What a repository command works with. */
export interface RepoContext {
  config: RepoConfig;
  log: Logger;
  source: ConfigSource;
  status: StatusStore;
  /** The repository's git directory (local), or the bare cache of a remote. */
  gitDir: string;
  io: CliIo;
}

/** Opens the repository named by the flags, runs `work`, and always releases it. */
export async function withRepo(
  flags: GlobalFlags,
  work: (context: RepoContext) => Promise<void>,
  io: CliIo = processIo(),
): Promise<void> {
  const config = await followClone(resolveCliRepoConfig(flags, io), {
    env: withConfigFile({ cwd: io.cwd, env: io.env }),
    dataDir: flags.dataDir,
  });
  const log = createLazyLogger({ level: flags.logLevel ?? "warn" });
  const repo = await openRepository({ config, log, reuseFetchMs: fetchReuseMs(io.env), oneReader: true });
  try {
    await work({ config, log, source: repo.source, status: repo.status, gitDir: repo.gitDir, io });
  } catch (error) {
    throw explainClone(error, config);
  } finally {
    await repo.close();
  }
}

/** Default of CFS_GITOPS_FETCH_REUSE: back-to-back commands on a remote share one fetch. */
export const DEFAULT_FETCH_REUSE = "5s";

/**
 * How old a remote's last fetch may be for a read command to use it without asking the remote
 * (CFS_GITOPS_FETCH_REUSE: a duration, or 0 to always ask). Writes always ask.
 */
export function fetchReuseMs(env: Readonly<Record<string, string | undefined>>): number {
  const text = env["CFS_GITOPS_FETCH_REUSE"] ?? DEFAULT_FETCH_REUSE;
  if (text.trim() === "0") return 0;
  const ms = parseDuration(text);
  if (ms === null || ms < 0)
    throw new ConfigError(
      `CFS_GITOPS_FETCH_REUSE=${text}: not a duration (use e.g. 5s, or 0 to always fetch)`,
    );
  return ms;
}
