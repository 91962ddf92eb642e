/**
 * The `--forge*` flags (controller and `pr-check`): which forge holds the repository, its REST API,
 * the repository's name there and the token file. Resolved once; a bad combination fails at start
 * (exit 2). The token is read from its file for every request and never logged.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { createForge, FORGE_KINDS, tokenFromFile, type Forge, type ForgeKind } from "../forge/index.js";
import { ConfigError, type RepoConfig } from "./config.js";

/** The `--forge*` flags. */
export interface ForgeFlags {
  forge?: string;
  forgeUrl?: string;
  forgeTokenFile?: string;
  forgeRepo?: string;
}

/** The forge's settings. */
export interface ForgeConfig {
  kind: ForgeKind;
  /** The REST API base (`https://git.example.org/api/v1`). */
  apiUrl: string;
  /** `owner/name` (GitLab: the project's full path). */
  repo: string;
  tokenFile: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Adds --forge, --forge-url, --forge-repo and --forge-token-file. */
export function addForgeOptions(command: Command): Command {
  return command
    .option(
      "--forge <kind>",
      "the forge of the repository, for pull request checks and commit statuses: gitea, github or gitlab [env CFS_GITOPS_FORGE] (default: none)",
    )
    .option(
      "--forge-url <url>",
      "the forge's REST API base [env CFS_GITOPS_FORGE_URL] (default from --repo: https://HOST/api/v1 for gitea, /api/v4 for gitlab, https://api.github.com for github.com)",
    )
    .option(
      "--forge-repo <owner/name>",
      "the repository on the forge [env CFS_GITOPS_FORGE_REPO] (default: the path of --repo)",
    )
    .option(
      "--forge-token-file <file>",
      "file with the forge token (scopes: commit statuses and comments), read for every request [env CFS_GITOPS_FORGE_TOKEN_FILE]",
    );
}

/** The forge's settings from flags (else `CFS_GITOPS_FORGE_*`; a relative token file from `cwd`); null when no forge is named. */
export function resolveForgeConfig(
  flags: ForgeFlags,
  env: Env,
  repo: Pick<RepoConfig, "repo" | "kind">,
  cwd: string = process.cwd(),
): ForgeConfig | null {
  const kindText = flags.forge ?? env.CFS_GITOPS_FORGE;
  const tokenFile = flags.forgeTokenFile ?? env.CFS_GITOPS_FORGE_TOKEN_FILE;
  if (kindText === undefined || kindText === "") {
    if (tokenFile !== undefined || flags.forgeUrl !== undefined)
      throw new ConfigError("--forge-url and --forge-token-file need --forge gitea|github|gitlab");
    return null;
  }
  const kind = FORGE_KINDS.find((k) => k === kindText.toLowerCase());
  if (kind === undefined)
    throw new ConfigError(`--forge ${kindText}: expected one of ${FORGE_KINDS.join(", ")}`);
  const file = tokenFileOf({ kind, tokenFile, cwd });
  const url = repo.kind === "remote" ? new URL(repo.repo) : null;
  return Object.freeze({
    kind,
    apiUrl: apiUrlOf({ kind, flag: flags.forgeUrl ?? env.CFS_GITOPS_FORGE_URL, url }),
    repo: repoNameOf(flags.forgeRepo ?? env.CFS_GITOPS_FORGE_REPO, url),
    tokenFile: file,
  });
}

function tokenFileOf(input: { kind: ForgeKind; tokenFile: string | undefined; cwd: string }): string {
  const { kind, tokenFile, cwd } = input;
  if (tokenFile === undefined || tokenFile === "")
    throw new ConfigError(`--forge ${kind} needs --forge-token-file (or CFS_GITOPS_FORGE_TOKEN_FILE)`);
  const file = resolve(cwd, tokenFile);
  if (!existsSync(file)) throw new ConfigError(`--forge-token-file ${file}: no such file`);
  return file;
}

function apiUrlOf(input: { kind: ForgeKind; flag: string | undefined; url: URL | null }): string {
  const { kind, flag, url } = input;
  if (flag !== undefined && flag !== "") {
    if (!/^https?:\/\//i.test(flag)) throw new ConfigError(`--forge-url ${flag}: expected an http(s) URL`);
    return flag.replace(/\/+$/, "");
  }
  if (url === null) throw new ConfigError("--forge with a local --repo needs --forge-url");
  if (kind === "github")
    return url.hostname === "github.com" ? "https://api.github.com" : `${url.origin}/api/v3`;
  return `${url.origin}${kind === "gitea" ? "/api/v1" : "/api/v4"}`;
}

function repoNameOf(flag: string | undefined, url: URL | null): string {
  const name =
    flag !== undefined && flag !== ""
      ? flag
      : (url?.pathname
          .replace(/^\/+/, "")
          .replace(/\/+$/, "")
          .replace(/\.git$/, "") ?? "");
  if (!/^[^/\s]+(?:\/[^/\s]+)+$/.test(name))
    throw new ConfigError(
      name === ""
        ? "--forge with a local --repo needs --forge-repo owner/name"
        : `--forge-repo ${name}: expected owner/name`,
    );
  return name;
}

/** The forge client of a configuration. */
export function openForge(config: ForgeConfig, options: { fetch?: typeof fetch } = {}): Forge {
  return createForge(config.kind, {
    baseUrl: config.apiUrl,
    repo: config.repo,
    token: tokenFromFile(config.tokenFile),
    ...options,
  });
}
