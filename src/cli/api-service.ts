/**
 * The REST API in the controller process (`controller --api-listen ...`): its flags resolved once
 * (bad ones fail at start, exit 2), and the listener started on the controller's repository.
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { isIP } from "node:net";
import type { Logger } from "pino";
import type { ConfigSource } from "../git/types.js";
import {
  ApiRepo,
  DEFAULT_API_PREFIX,
  DEFAULT_WRITE_RATE,
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
import { formatListenAddress, parseListenAddress, type ListenAddress } from "../server/listen-address.js";
import type { ApiListenerState } from "../server/readiness.js";
import { openApiAuth, resolveApiAuth, type ApiAuthFlags, type JwtConfig } from "./api-auth.js";
import { ConfigError, type RepoConfig } from "./config.js";

/** The `--api-*` flags of `controller`. */
export interface ApiFlags extends ApiAuthFlags {
  apiListen?: string;
  apiCert?: string;
  apiKey?: string;
  apiInsecure?: boolean;
  apiPrefix?: string;
  apiBranch?: string;
  apiWriteRate?: string;
}

/** The REST API's settings. */
export interface ApiConfig {
  listen: ListenAddress;
  /** Null only with `--api-insecure` on a loopback address. */
  tls: { certFile: string; keyFile: string } | null;
  /** `--api-tokens-file`; null when only JWTs are accepted. */
  tokensFile: string | null;
  /** `--api-jwks-file` and its policy; null (or absent): no JWTs. */
  jwt?: JwtConfig | null;
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
  const { tokensFile, jwt } = resolveApiAuth(flags, env);
  const reviewBranch = flags.apiBranch ?? env.CFS_GITOPS_API_BRANCH ?? null;
  return {
    prefix: resolvePrefix(flags, env),
    listen,
    tls: resolveTls(flags, env, listen),
    tokensFile,
    jwt,
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
  assertPem({ certFile, keyFile });
  return { certFile, keyFile };
}

/**
 * The certificate and key must parse (a Secret still holding its REPLACE placeholder, a key in the
 * cert's place), so a bad one fails at start with one line instead of a stack from the TLS layer.
 */
function assertPem(tls: { certFile: string; keyFile: string }): void {
  try {
    new X509Certificate(readFileSync(tls.certFile));
  } catch {
    throw new ConfigError(`--api-cert ${tls.certFile}: not a PEM certificate`);
  }
  try {
    createPrivateKey(readFileSync(tls.keyFile));
  } catch {
    throw new ConfigError(`--api-key ${tls.keyFile}: not a PEM private key`);
  }
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
  /** The listener's state for `/readyz`. */
  listener: () => ApiListenerState;
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
  const now = input.now ?? (() => new Date());
  const auth = openApiAuth({
    config: { tokensFile: input.api.tokensFile, jwt: input.api.jwt ?? null },
    now,
    log,
  });
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
    tokens: auth,
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
  const address = formatListenAddress({ host: input.api.listen.host, port: server.port });
  const scheme = input.api.tls === null ? "http" : "https";
  return {
    server,
    listener: () => ({
      listening: server.listening,
      address,
      scheme,
      tokens: auth.tokens(),
      jwksKeys: auth.jwksKeys(),
    }),
    close: async () => {
      await server.close();
      await repo.close();
    },
  };
}
