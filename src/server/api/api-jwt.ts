/**
 * Bearer JWTs signed by a configured JWKS (`--api-jwks-file`), as Keycloak issues them in CSM:
 * RS256 or ES256 only (never `none` or a shared-secret algorithm), checked with node:crypto; the
 * issuer, an audience, `exp` (required) and `nbf` are checked against the injected clock. The
 * caller writes when a role of `realm_access.roles` or `resource_access[<audience>].roles` is the
 * write role (default `admin`), else reads; its name is `preferred_username` (else `sub`). The
 * JWKS file is re-read when it changes (a broken edit keeps the keys in force, and is logged).
 * Tokens are never logged.
 */
import { createPublicKey, verify, type JsonWebKey, type KeyObject } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import type { Logger } from "pino";
import type { ApiCaller } from "./api-tokens.js";

/** What a JWT must carry to be accepted. */
export interface JwtPolicy {
  issuer: string;
  audience: string;
  /** A role (realm or the audience's client role) that may write. */
  writeRole: string;
}

/** The seconds of clock skew tolerated on `exp` and `nbf`. */
export const JWT_LEEWAY_SECONDS = 30;

/** A JWKS file that cannot be used; the message names the file's problem. */
export class JwksFileError extends Error {
  readonly code = "JwksFileError";
}

/** One key of the JWKS that can verify a signature. */
export interface VerifyKey {
  kid: string | null;
  alg: "RS256" | "ES256";
  key: KeyObject;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The RS256 and ES256 (P-256) keys of a JWKS document's text; other keys are left out. */
export function parseJwks(text: string): VerifyKey[] {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    throw new JwksFileError("not JSON");
  }
  if (!isObject(document) || !Array.isArray(document["keys"]))
    throw new JwksFileError('expected a JWKS document: {"keys": [...]}');
  return document["keys"].flatMap((jwk: unknown) => verifyKeyOf(jwk));
}

function verifyKeyOf(jwk: unknown): VerifyKey[] {
  if (!isObject(jwk) || (jwk["use"] !== undefined && jwk["use"] !== "sig")) return [];
  const alg = jwk["kty"] === "RSA" ? "RS256" : jwk["kty"] === "EC" && jwk["crv"] === "P-256" ? "ES256" : null;
  if (alg === null || (jwk["alg"] !== undefined && jwk["alg"] !== alg)) return [];
  try {
    const key = createPublicKey({ key: jwk as JsonWebKey, format: "jwk" });
    return [{ kid: typeof jwk["kid"] === "string" ? jwk["kid"] : null, alg, key }];
  } catch {
    return [];
  }
}

/** The parts of a compact JWT, or null when it is not one. */
function decode(token: string): { header: Json; claims: Json; signed: Buffer; signature: Buffer } | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  const [head = "", body = "", signature = ""] = parts;
  try {
    const header: unknown = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
    const claims: unknown = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    if (!isObject(header) || !isObject(claims)) return null;
    return {
      header,
      claims,
      signed: Buffer.from(`${head}.${body}`, "ascii"),
      signature: Buffer.from(signature, "base64url"),
    };
  } catch {
    return null;
  }
}

/** True when `signature` over `signed` verifies with one of the keys the header may name. */
export function signatureValid(input: {
  keys: readonly VerifyKey[];
  header: Json;
  signed: Buffer;
  signature: Buffer;
}): boolean {
  const { header } = input;
  const alg = header["alg"];
  if (alg !== "RS256" && alg !== "ES256") return false;
  const kid = typeof header["kid"] === "string" ? header["kid"] : null;
  return input.keys
    .filter((k) => k.alg === alg && (kid === null || k.kid === kid))
    .some((k) =>
      verify(
        "sha256",
        input.signed,
        alg === "ES256" ? { key: k.key, dsaEncoding: "ieee-p1363" } : k.key,
        input.signature,
      ),
    );
}

/** True when the claims' issuer, audience and times are acceptable at `nowSeconds`. */
export function claimsValid(claims: Json, policy: JwtPolicy, nowSeconds: number): boolean {
  const exp = claims["exp"];
  const nbf = claims["nbf"];
  if (typeof exp !== "number" || exp + JWT_LEEWAY_SECONDS <= nowSeconds) return false;
  if (nbf !== undefined && (typeof nbf !== "number" || nbf - JWT_LEEWAY_SECONDS > nowSeconds)) return false;
  if (claims["iss"] !== policy.issuer) return false;
  const aud = claims["aud"];
  const audiences = Array.isArray(aud) ? aud : [aud];
  return audiences.includes(policy.audience);
}

/** The caller of accepted claims: write with the write role (realm or the audience's client), else read. */
export function callerOfClaims(claims: Json, policy: JwtPolicy): ApiCaller {
  const realm = isObject(claims["realm_access"]) ? claims["realm_access"]["roles"] : undefined;
  const clients = isObject(claims["resource_access"]) ? claims["resource_access"] : {};
  const client = isObject(clients[policy.audience]) ? clients[policy.audience] : {};
  const roles = [realm, isObject(client) ? client["roles"] : undefined].flatMap((list) =>
    Array.isArray(list) ? (list as unknown[]) : [],
  );
  const name = [claims["preferred_username"], claims["sub"]].find((v) => typeof v === "string" && v !== "");
  return {
    role: roles.includes(policy.writeRole) ? "write" : "read",
    name: (name as string | undefined) ?? "jwt",
  };
}

/** Options of JwtVerifier. */
export interface JwtVerifierOptions {
  jwksFile: string;
  policy: JwtPolicy;
  now: () => Date;
  log: Logger;
}

/** Verifies bearer JWTs with the keys of a JWKS file, re-read whenever it changes. */
export class JwtVerifier {
  private keys: VerifyKey[];
  private stamp: string;

  /** Reads the file now; a missing or broken file is a JwksFileError (the controller does not start). */
  constructor(private readonly options: JwtVerifierOptions) {
    this.stamp = this.fileStamp();
    this.keys = this.read();
  }

  /** The caller of a compact JWT, or null when it is not one this verifier accepts. */
  authenticate(token: string): ApiCaller | null {
    this.reloadIfChanged();
    const jwt = decode(token);
    if (jwt === null || !signatureValid({ keys: this.keys, ...jwt })) return null;
    const nowSeconds = Math.floor(this.options.now().getTime() / 1000);
    if (!claimsValid(jwt.claims, this.options.policy, nowSeconds)) return null;
    return callerOfClaims(jwt.claims, this.options.policy);
  }

  /** How many usable keys are in force (the file re-read first if it changed). */
  count(): number {
    this.reloadIfChanged();
    return this.keys.length;
  }

  private read(): VerifyKey[] {
    let text: string;
    try {
      text = readFileSync(this.options.jwksFile, "utf8");
    } catch (error) {
      throw new JwksFileError(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? "error"}`);
    }
    return parseJwks(text);
  }

  private fileStamp(): string {
    try {
      const stat = statSync(this.options.jwksFile);
      return `${stat.size}:${stat.mtimeMs}:${stat.ino}`;
    } catch {
      return "missing";
    }
  }

  private reloadIfChanged(): void {
    const stamp = this.fileStamp();
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    const { jwksFile, log } = { jwksFile: this.options.jwksFile, log: this.options.log };
    try {
      this.keys = this.read();
      log.info({ file: jwksFile, keys: this.keys.length }, "api jwks file re-read");
    } catch (error) {
      log.warn(
        { file: jwksFile, why: (error as Error).message },
        "api jwks file unusable; keeping the previous keys",
      );
    }
  }
}
