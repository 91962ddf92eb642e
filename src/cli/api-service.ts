/**
 * The REST API in the controller process (`controller --api-listen ...`): its flags resolved once
 * (bad ones fail at start, exit 2), and the listener started on the controller's repository.
 */
import { existsSync } from "node:fs";
import { isIP } from "node:net";
import type { Logger } from "pino";
import type { ConfigSource } from "../git/types.js";
import {
  ApiRepo,
  ApiTokens,
  DEFAULT_API_PREFIX,
  DEFAULT_WRITE_RATE,
  TokenFileError,
  WriteRateLimiter,
  componentRoutes,
  configurationRoutes,
  sourceRoutes,
  metaRoutes,
  optionsRoutes,
  sessionRoutes,
  startApiServer,
  type ApiServer,
} from "../server/api/index.js";
import { parseListenAddress, type ListenAddress } from "../server/listen-address.js";
import { ConfigError, type RepoConfig } from "./config.js";

/** The `--api-*` flags of `controller`. */
export interface ApiFlags {
  apiListen?: string;
  apiCert?: string;
  apiKey?: string;
  apiInsecure?: boolean;
  apiTokensFile?: string;
  apiPrefix?: string;
  apiBranch?: string;
  apiWriteRate?: string;
}

/** The REST API's settings. */
export interface ApiConfig {
  listen: ListenAddress;
  /** Null only with `--api-insecure` on a loopback address. */
  tls: { certFile: string; keyFile: string } | null;
  tokensFile: string;
  prefix: string;
  /** `--api-branch`: writes go to this branch for a pull request (202); null: to the watched branch. */
  reviewBranch: string | null;
  /** Writes a second per caller (a burst of five times as many); null: unlimited. */
  writeRate: number | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The API's settings from flags (else `CFS_GITOPS_API_*`); null when `--api-listen` is not given. */
export function resolveApiConfig(flags: ApiFlags, env: Env): ApiConfig | null {
  const text = flags.apiListen ?? env.CFS_GITOPS_API_LISTEN;
  if (text === undefined || text === "") return null;
  const listen = parseListenAddress(text);
  if (listen === null) throw new ConfigError(`--api-listen ${text}: expected [host]:port, e.g. :8443`);
  const tokensFile = flags.apiTokensFile ?? env.CFS_GITOPS_API_TOKENS_FILE;
  if (!tokensFile)
    throw new ConfigError("--api-listen needs --api-tokens-file (lines of <token> <role> <name>)");
  if (!existsSync(tokensFile)) throw new ConfigError(`--api-tokens-file ${tokensFile}: no such file`);
  const reviewBranch = flags.apiBranch ?? env.CFS_GITOPS_API_BRANCH ?? null;
  return {
    prefix: resolvePrefix(flags, env),
    listen,
    tls: resolveTls(flags, env, listen),
    tokensFile,
    reviewBranch: reviewBranch || null,
    writeRate: resolveWriteRate(flags.apiWriteRate ?? env.CFS_GITOPS_API_WRITE_RATE),
  };
}

function resolveWriteRate(text: string | undefined): number | null {
  if (text === undefined || text === "") return DEFAULT_WRITE_RATE.perSecond;
  const rate = Number(text);
  if (!Number.isFinite(rate) || rate < 0)
    throw new ConfigError(`--api-write-rate ${text}: a number of writes a second per caller (0: unlimited)`);
  return rate === 0 ? null : rate;
}

function resolvePrefix(flags: ApiFlags, env: Env): string {
  const prefix = (flags.apiPrefix ?? env.CFS_GITOPS_API_PREFIX ?? DEFAULT_API_PREFIX).replace(/\/+$/, "");
  if (prefix !== "" && !prefix.startsWith("/"))
    throw new ConfigError(`--api-prefix ${prefix}: must start with /`);
  return prefix;
}

function resolveTls(flags: ApiFlags, env: Env, listen: ListenAddress): ApiConfig["tls"] {
  const insecure = flags.apiInsecure ?? env.CFS_GITOPS_API_INSECURE === "true";
  if (insecure) {
    if (!isLoopback(listen.host))
      throw new ConfigError(
        `--api-insecure serves plain HTTP, which is allowed only on a loopback address (127.0.0.1, ::1, localhost), not ${listen.host ?? "every interface"}`,
      );
    return null;
  }
  const certFile = flags.apiCert ?? env.CFS_GITOPS_API_CERT;
  const keyFile = flags.apiKey ?? env.CFS_GITOPS_API_KEY;
  if (!certFile || !keyFile)
    throw new ConfigError(
      "--api-listen serves HTTPS: give --api-cert and --api-key (or --api-insecure on a loopback address)",
    );
  for (const [flag, file] of [
    ["--api-cert", certFile],
    ["--api-key", keyFile],
  ] as const)
    if (!existsSync(file)) throw new ConfigError(`${flag} ${file}: no such file`);
  return { certFile, keyFile };
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string | null): boolean {
  if (host === null) return false;
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

/** A running API and what to close. */
export interface RunningApi {
  server: ApiServer;
  close(): Promise<void>;
}

/** Starts the API on the controller's repository. */
export async function startApi(input: {
  api: ApiConfig;
  repo: RepoConfig;
  source: ConfigSource;
  gitDir: string;
  log: Logger;
  now?: () => Date;
  /** The `limit` of lists that give none (default CFS's 1000). */
  pageSize?: number;
}): Promise<RunningApi> {
  const log = input.log.child({ component: "api" });
  let tokens: ApiTokens;
  try {
    tokens = new ApiTokens(input.api.tokensFile, log);
  } catch (error) {
    if (error instanceof TokenFileError)
      throw new ConfigError(`--api-tokens-file ${input.api.tokensFile}: ${error.message}`);
    throw error;
  }
  const now = input.now ?? (() => new Date());
  const page = input.pageSize === undefined ? {} : { pageSize: input.pageSize };
  const reviewBranch = input.api.reviewBranch;
  if (reviewBranch === input.repo.branch || reviewBranch === input.repo.statusBranch)
    throw new ConfigError(`--api-branch ${reviewBranch}: must differ from the watched and the status branch`);
  const repo = await ApiRepo.open({
    config: input.repo,
    source: input.source,
    gitDir: input.gitDir,
    log,
    now,
    reviewBranch,
  });
  const server = await startApiServer({
    listen: input.api.listen,
    tls: input.api.tls,
    prefix: input.api.prefix,
    tokens,
    writeRate:
      input.api.writeRate === null
        ? null
        : new WriteRateLimiter({
            perSecond: input.api.writeRate,
            burst: Math.max(1, Math.round(input.api.writeRate * 5)),
            now: () => performance.now(),
          }),
    routes: [
      ...metaRoutes({ repo }),
      ...sessionRoutes({ repo, now, ...page }),
      ...configurationRoutes({ repo, gitDir: input.gitDir, ...page }),
      ...sourceRoutes({ repo, gitDir: input.gitDir, ...page }),
      ...componentRoutes({ repo, ...page }),
      ...optionsRoutes({ repo }),
    ],
    log,
  });
  return {
    server,
    close: async () => {
      await server.close();
      await repo.close();
    },
  };
}
