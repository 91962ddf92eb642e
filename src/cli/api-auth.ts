/**
 * Who may call the REST API: the bearer tokens of `--api-tokens-file`, and with `--api-jwks-file`
 * also JWTs signed by that JWKS (issuer, audience and write role from `--api-jwt-*`). Resolved
 * once from flags (else `CFS_GITOPS_API_*`); a bad setting fails at start with one line (exit 2).
 */
import { existsSync } from "node:fs";
import type { Logger } from "pino";
import {
  ApiTokens,
  JwksFileError,
  JwtVerifier,
  TokenFileError,
  type ApiCaller,
  type JwtPolicy,
} from "../server/api/index.js";
import { ConfigError } from "./config.js";

/** The authentication flags of `controller`. */
export interface ApiAuthFlags {
  apiTokensFile?: string;
  apiJwksFile?: string;
  apiJwtIssuer?: string;
  apiJwtAudience?: string;
  apiJwtWriteRole?: string;
}

/** JWT acceptance: the JWKS file and what a token must carry. */
export interface JwtConfig {
  jwksFile: string;
  policy: JwtPolicy;
}

/** The resolved authentication settings: at least one of the two is set. */
export interface ApiAuthConfig {
  tokensFile: string | null;
  jwt: JwtConfig | null;
}

/** The role a JWT needs to write, unless `--api-jwt-write-role` says another (Keycloak's CSM admin role). */
export const DEFAULT_JWT_WRITE_ROLE = "admin";

type Env = Readonly<Record<string, string | undefined>>;

/** Tokens file and JWT settings from flags, else the environment; neither is a ConfigError. */
export function resolveApiAuth(flags: ApiAuthFlags, env: Env): ApiAuthConfig {
  const tokensFile = flags.apiTokensFile ?? env.CFS_GITOPS_API_TOKENS_FILE ?? null;
  const jwt = resolveJwt(flags, env);
  if (!tokensFile && jwt === null)
    throw new ConfigError(
      "--api-listen needs --api-tokens-file (lines of <token> <role> <name>) or --api-jwks-file",
    );
  if (tokensFile && !existsSync(tokensFile))
    throw new ConfigError(`--api-tokens-file ${tokensFile}: no such file`);
  return { tokensFile: tokensFile || null, jwt };
}

function resolveJwt(flags: ApiAuthFlags, env: Env): JwtConfig | null {
  const jwksFile = flags.apiJwksFile ?? env.CFS_GITOPS_API_JWKS_FILE;
  const issuer = flags.apiJwtIssuer ?? env.CFS_GITOPS_API_JWT_ISSUER;
  const audience = flags.apiJwtAudience ?? env.CFS_GITOPS_API_JWT_AUDIENCE;
  if (!jwksFile) {
    if (issuer || audience)
      throw new ConfigError("--api-jwt-issuer and --api-jwt-audience need --api-jwks-file");
    return null;
  }
  if (!existsSync(jwksFile)) throw new ConfigError(`--api-jwks-file ${jwksFile}: no such file`);
  if (!issuer || !audience)
    throw new ConfigError(
      "--api-jwks-file needs --api-jwt-issuer (the token's iss) and --api-jwt-audience (one of its aud)",
    );
  const writeRole = flags.apiJwtWriteRole ?? env.CFS_GITOPS_API_JWT_WRITE_ROLE ?? DEFAULT_JWT_WRITE_ROLE;
  return { jwksFile, policy: { issuer, audience, writeRole } };
}

/** The API's authenticator: static tokens first, then JWTs; counts for readiness. */
export interface ApiAuth {
  /** The caller of an `Authorization` header, or null (none, unknown, or a JWT not accepted). */
  authenticate(header: string | undefined): ApiCaller | null;
  /** Tokens of the tokens file in force. */
  tokens(): number;
  /** Keys of the JWKS in force, or null without one. */
  jwksKeys(): number | null;
}

/** Reads the tokens file and the JWKS now; a broken one is a ConfigError naming its flag. */
export function openApiAuth(input: { config: ApiAuthConfig; now: () => Date; log: Logger }): ApiAuth {
  const { config, now, log } = input;
  const tokens = config.tokensFile === null ? null : openTokens(config.tokensFile, log);
  const jwt = config.jwt === null ? null : openJwt({ jwt: config.jwt, now, log });
  return {
    authenticate: (header) => tokens?.authenticate(header) ?? jwtCaller(jwt, header),
    tokens: () => tokens?.count() ?? 0,
    jwksKeys: () => jwt?.count() ?? null,
  };
}

function jwtCaller(jwt: JwtVerifier | null, header: string | undefined): ApiCaller | null {
  if (jwt === null) return null;
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
  return token === undefined ? null : jwt.authenticate(token);
}

function openTokens(file: string, log: Logger): ApiTokens {
  try {
    return new ApiTokens(file, log);
  } catch (error) {
    if (error instanceof TokenFileError) throw new ConfigError(`--api-tokens-file ${file}: ${error.message}`);
    throw error;
  }
}

function openJwt(input: { jwt: JwtConfig; now: () => Date; log: Logger }): JwtVerifier {
  const { jwt, now, log } = input;
  try {
    return new JwtVerifier({ jwksFile: jwt.jwksFile, policy: jwt.policy, now, log });
  } catch (error) {
    if (error instanceof JwksFileError)
      throw new ConfigError(`--api-jwks-file ${jwt.jwksFile}: ${error.message}`);
    throw error;
  }
}
