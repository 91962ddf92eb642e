/**
 * A clone of the site repository is worked in the way git users expect: the repository of record
 * is the clone's remote (where the controller looks), so commands read the remote's branches and
 * status branch, and writes are pushed there. The clone's own branches are the user's business.
 */
import { splitUrlCredentials } from "../git/credentials.js";
import { GitAuthError, GitFetchError } from "../git/errors.js";
import { redactUrl } from "../git/scrub-secrets.js";
import { CliError } from "./errors.js";
import { defaultDataDir, type RepoConfig } from "./repo-settings.js";
import { findCloneRemote } from "./clone-remote.js";

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The configuration of the clone's remote when `config` names a work tree with one (its branch's
 * upstream remote, else `origin`); `config` itself otherwise. An explicit `--data-dir` (or
 * CFS_GITOPS_DATA_DIR) is kept; the default one is the remote's, shared with `--repo URL`.
 */
export async function followClone(
  config: Readonly<RepoConfig>,
  options: { env: Env; dataDir?: string | undefined },
): Promise<Readonly<RepoConfig>> {
  if (config.kind !== "local") return config;
  const remote = await findCloneRemote(config.repo);
  if (remote === null) return config;
  const split = isHttp(remote.url) ? splitUrlCredentials(remote.url) : { url: remote.url, credentials: null };
  const explicitDataDir = options.dataDir ?? options.env["CFS_GITOPS_DATA_DIR"];
  return Object.freeze({
    ...config,
    repo: split.url,
    kind: "remote",
    credentials: config.credentials ?? split.credentials,
    dataDir: explicitDataDir === undefined ? defaultDataDir(split.url, options.env) : config.dataDir,
    clone: { path: config.repo, remote: remote.name },
  } satisfies RepoConfig);
}

function isHttp(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/**
 * A remote the clone's command could not reach: one line naming the clone's remote, and that
 * nothing was read or written (the clone's own branches are not shown in its place).
 */
export function explainClone(error: unknown, config: Readonly<RepoConfig>): unknown {
  const clone = config.clone;
  if (!clone || !(error instanceof GitFetchError || error instanceof GitAuthError)) return error;
  return new CliError(
    `cannot reach ${clone.remote} (${redactUrl(config.repo)}), the remote of the clone ${clone.path}: ${error.message}; nothing was read or written (the clone's local branches are not what the controller sees)`,
  );
}
