/** Opens the configuration repository a config names: its source and its status branch. */
import { join } from "node:path";
import type { Logger } from "pino";
import { createLocalSource } from "../git/local-source.js";
import { createRemoteSource } from "../git/remote-source.js";
import { createStatusStore } from "../git/status-store.js";
import type { CommitSigning } from "../git/sign-commit.js";
import type { ConfigSource, StatusStore } from "../git/types.js";
import type { RepoConfig } from "./repo-settings.js";

/** An open repository; `close` releases its git processes and watchers. */
export interface OpenRepository {
  source: ConfigSource;
  status: StatusStore;
  gitDir: string;
  close(): Promise<void>;
}

/** Inputs of openRepository. */
export interface OpenInput {
  config: RepoConfig;
  log: Logger;
  pollIntervalMs?: number;
  /** Sign status commits (`--signing-key`). */
  signing?: CommitSigning | null;
  /** A remote's first fetch may reuse one this recent (CLI commands: a few seconds). */
  reuseFetchMs?: number;
  /**
   * A local repository's two branches read through one `cat-file` process (a one-shot command:
   * one process fewer to start). The controller keeps one each, which read side by side.
   */
  oneReader?: boolean;
}

/** Opens a local path in place, or a remote through a cache repository under the data directory. */
export async function openRepository(input: OpenInput): Promise<OpenRepository> {
  const { config, log } = input;
  const local =
    config.kind === "local"
      ? await createLocalSource({ path: config.repo, branch: config.branch, log })
      : null;
  const source =
    local ??
    (await createRemoteSource({
      url: config.repo,
      branch: config.branch,
      cacheDir: join(config.dataDir, "git"),
      credentials: config.credentials,
      log,
      ...(input.pollIntervalMs !== undefined ? { pollIntervalMs: input.pollIntervalMs } : {}),
      ...(input.reuseFetchMs !== undefined ? { reuseFetchMs: input.reuseFetchMs } : {}),
    }));
  const status = await createStatusStore({
    gitDir: source.gitDir,
    branch: config.statusBranch,
    log,
    signing: input.signing ?? null,
    ...(input.oneReader && local ? { reader: local.reader } : {}),
    ...(config.kind === "remote"
      ? {
          remote: {
            url: config.repo,
            credentials: config.credentials,
            ...(input.reuseFetchMs !== undefined ? { reuseFetchMs: input.reuseFetchMs } : {}),
          },
        }
      : {}),
  });
  return {
    source,
    status,
    gitDir: source.gitDir,
    close: async () => {
      await source.close();
      await status.close();
    },
  };
}
