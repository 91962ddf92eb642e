/**
 * Which repository a command works on, from its flags, the environment and the config file: a
 * module of its own, without the git room, so a command answered from a cache (quick.ts) reads
 * the configuration exactly as every other command does.
 */
import { isAbsolute, resolve } from "node:path";
import { resolveRepoConfig, type RepoConfig, type RepoFlags } from "./repo-settings.js";
import { withConfigFile } from "./config-file.js";
import type { CliIo } from "./io.js";
import { findRepository } from "./find-repository.js";

/**
 * The repository configuration from flags, environment and config file (in that order of
 * precedence), else the repository the command's folder is in (as git finds it); a relative
 * `--repo` is relative to the command's folder.
 */
export function resolveCliRepoConfig(flags: RepoFlags, io: CliIo): Readonly<RepoConfig> {
  const env = withConfigFile({ cwd: io.cwd, env: io.env });
  const local = (path: string | undefined): string | undefined =>
    path === undefined || /^[a-z][a-z0-9+.-]*:\/\//i.test(path) || isAbsolute(path)
      ? path
      : resolve(io.cwd, path);
  const repo = local(flags.repo ?? (env.CFS_GITOPS_REPO ? undefined : (findRepository(io.cwd) ?? undefined)));
  const dataDir = local(flags.dataDir);
  const credentials = local(flags.gitCredentialsFile);
  return resolveRepoConfig(
    {
      ...flags,
      ...(repo === undefined ? {} : { repo }),
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(credentials === undefined ? {} : { gitCredentialsFile: credentials }),
    },
    env,
  );
}
