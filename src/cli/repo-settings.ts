/**
 * The repository settings every repository command reads (config.ts adds the controller's): flags,
 * environment and credential files become one frozen RepoConfig. A module of its own, so a
 * command answered from a cache (quick.ts) loads only this much of the configuration.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_BRANCH, DEFAULT_STATUS_BRANCH } from "../api/constants.js";
import { splitUrlCredentials, type Credentials } from "../git/credentials.js";
import { ConfigError } from "./config-error.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Options common to every command that reads or writes the configuration repository. */
export interface RepoFlags {
  repo?: string;
  branch?: string;
  statusBranch?: string;
  dataDir?: string;
  gitCredentialsFile?: string;
}

/** Where the configuration repository is and how to reach it. */
export interface RepoConfig {
  /** A local path (absolute) or an http(s) URL without credentials. */
  repo: string;
  kind: "local" | "remote";
  branch: string;
  statusBranch: string;
  dataDir: string;
  credentials: Credentials | null;
  /** Set when `repo` is the remote of a work tree the command runs in (a clone). */
  clone?: { path: string; remote: string };
}

/** Resolves the repository flags with the environment (`CFS_GITOPS_*`) as fallback. */
export function resolveRepoConfig(flags: RepoFlags, env: Env): Readonly<RepoConfig> {
  const given = flags.repo ?? env.CFS_GITOPS_REPO;
  const raw = given?.toLowerCase().startsWith("file://") ? fileUrlPath(given) : given;
  if (!raw) throw new ConfigError("no repository: pass --repo <path|url> or set CFS_GITOPS_REPO");
  const remote = /^https?:\/\//i.test(raw);
  const split = remote ? splitUrlCredentials(raw) : { url: resolve(raw), credentials: null };
  if (!remote && !existsSync(split.url)) throw new ConfigError(`--repo ${split.url}: no such directory`);
  const credentials = readCredentials(flags, env) ?? split.credentials;
  return Object.freeze({
    repo: split.url,
    kind: remote ? "remote" : "local",
    ...branches(flags, env),
    dataDir: resolve(flags.dataDir ?? env.CFS_GITOPS_DATA_DIR ?? defaultDataDir(split.url, env)),
    credentials,
  } satisfies RepoConfig);
}

/** `file:///srv/site.git` is the path `/srv/site.git`. */
function fileUrlPath(url: string): string {
  try {
    return fileURLToPath(url);
  } catch {
    throw new ConfigError(`--repo ${url}: not a file URL (use file:///absolute/path)`);
  }
}

function branches(flags: RepoFlags, env: Env): { branch: string; statusBranch: string } {
  const branch = flags.branch ?? env.CFS_GITOPS_BRANCH ?? DEFAULT_BRANCH;
  const statusBranch = flags.statusBranch ?? env.CFS_GITOPS_STATUS_BRANCH ?? DEFAULT_STATUS_BRANCH;
  if (branch === statusBranch)
    throw new ConfigError(`--branch and --status-branch are both "${branch}": they must differ`);
  return { branch, statusBranch };
}

/**
 * Credentials from `--git-credentials-file` / `CFS_GITOPS_GIT_CREDENTIALS_FILE` (a line
 * `username:password`, or a git-credential-store URL line `https://user:pass@host`), else from
 * `CFS_GITOPS_GIT_USERNAME` with `CFS_GITOPS_GIT_PASSWORD` or `CFS_GITOPS_GIT_TOKEN`.
 */
export function readCredentials(flags: RepoFlags, env: Env): Credentials | null {
  const file = flags.gitCredentialsFile ?? env.CFS_GITOPS_GIT_CREDENTIALS_FILE;
  if (file) return parseCredentialsFile(file);
  const password = env.CFS_GITOPS_GIT_PASSWORD ?? env.CFS_GITOPS_GIT_TOKEN;
  if (password === undefined) return null;
  return { username: env.CFS_GITOPS_GIT_USERNAME ?? "git", password };
}

function parseCredentialsFile(file: string): Credentials {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    throw new ConfigError(`git credentials file ${file}: cannot be read`);
  }
  const line =
    text
      .split("\n")
      .find((l) => l.trim() !== "")
      ?.trim() ?? "";
  const fromUrl = /^https?:\/\//.test(line) ? splitUrlCredentials(line).credentials : null;
  if (fromUrl) return fromUrl;
  const colon = line.indexOf(":");
  if (colon <= 0)
    throw new ConfigError(`git credentials file ${file}: expected one line "username:password"`);
  return { username: line.slice(0, colon), password: line.slice(colon + 1) };
}

/** Where a repository's runs, logs and caches live unless --data-dir says: one folder per repository. */
export function defaultDataDir(repo: string, env: Env): string {
  const base = env.XDG_STATE_HOME ?? join(env.HOME ?? homedir(), ".local", "state");
  const id = createHash("sha256").update(repo).digest("hex").slice(0, 12);
  return join(base, "cfs-gitops", id);
}
