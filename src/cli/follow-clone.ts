/**
 * A clone of the site repository is worked in the way git users expect: the repository of record
 * is the clone's remote (where the controller looks), so commands read the remote's branches and
 * status branch, and writes are pushed there. The clone's own branches are the user's business.
 */
import { splitUrlCredentials } from "../git/credentials.js";
import { defaultDataDir, type RepoConfig } from "./config.js";
import { findCloneRemote } from "./find-repository.js";

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
