/**
 * Bearer JWTs on the REST API (`--api-jwks-file`), with RSA and P-256 keys generated here and
 * tokens signed here as Keycloak signs them: RS256 and ES256 accepted from a key of the JWKS; the
 * role from `realm_access` or the audience's `resource_access` roles; expired, not yet valid,
 * another issuer or audience, tampered, unsigned (`alg: none`), HMAC-with-the-public-key, unknown
 * key: all 401. The JWKS file is re-read when it changes, and no token reaches the log.
 */
import { createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveApiAuth, type JwtConfig } from "../../../../src/cli/api-auth.js";
import { ConfigError } from "../../../../src/cli/config.js";
import { git, tempDir } from "../../../helpers/config-repo.js";
import { startApiHarness, TOKENS, type ApiHarness } from "./api-harness.js";

const ISSUER = "https://api-gw-service-nmn.local/keycloak/realms/shasta";
const AUDIENCE = "cfs-gitops";

interface Signer {
  alg: "RS256" | "ES256";
  kid: string;
  privateKey: KeyObject;
  publicJwk: Record<string, unknown>;
}

function signer(alg: Signer["alg"], kid: string): Signer {
  const { privateKey, publicKey } =
    alg === "RS256"
      ? generateKeyPairSync("rsa", { modulusLength: 2048 })
      : generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { alg, kid, privateKey, publicJwk: { ...publicKey.export({ format: "jwk" }), kid, use: "sig" } };
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A compact JWT signed by `key` (its alg and kid unless `header` overrides them). */
function jwt(key: Signer, claims: Record<string, unknown>, header: Record<string, unknown> = {}): string {
  const head = b64({ alg: key.alg, kid: key.kid, typ: "JWT", ...header });
  const data = `${head}.${b64(claims)}`;
  const signature = sign(
    "sha256",
    Buffer.from(data),
    key.alg === "ES256" ? { key: key.privateKey, dsaEncoding: "ieee-p1363" } : key.privateKey,
  );
  return `${data}.${signature.toString("base64url")}`;
}

const now = () => Math.floor(Date.now() / 1000);

/** Claims of a Keycloak access token valid for an hour, for user `name` with `roles` in the realm. */
function claims(name: string, roles: string[] = []): Record<string, unknown> {
  return {
    iss: ISSUER,
    aud: [AUDIENCE, "account"],
    sub: `uuid-of-${name}`,
    preferred_username: name,
    iat: now(),
    exp: now() + 3600,
    realm_access: { roles: ["offline_access", ...roles] },
  };
}

const rsa = signer("RS256", "rsa-1");
const ec = signer("ES256", "ec-1");
const stranger = signer("RS256", "rsa-1");
let h: ApiHarness;
let jwksFile: string;
const logged: string[] = [];

function writeJwks(keys: Signer[]): void {
  writeFileSync(jwksFile, JSON.stringify({ keys: keys.map((k) => k.publicJwk) }));
}

beforeAll(async () => {
  const dir = tempDir("cfs-api-jwks-");
  jwksFile = join(dir.path, "jwks.json");
  writeJwks([rsa, ec]);
  const jwtConfig: JwtConfig = {
    jwksFile,
    policy: { issuer: ISSUER, audience: AUDIENCE, writeRole: "admin" },
  };
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logged.push(chunk.toString("utf8"));
      done();
    },
  });
  h = await startApiHarness({ jwt: jwtConfig, log: pino({ level: "debug" }, sink) });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const session = (name: string) => ({
  name,
  configuration_name: "site",
  target: { definition: "dynamic", groups: [], image_map: [] },
});

describe("a JWT signed by a key of the JWKS", () => {
  it("with the realm's admin role writes, as its preferred_username (RS256)", async () => {
    const token = jwt(rsa, claims("jane", ["admin"]));
    const created = await h.call({
      method: "POST",
      path: "/apis/cfs/v3/sessions",
      token,
      body: session("jwt-1"),
    });
    expect(created.status, created.text).toBe(201);
    expect(git(h.repo.path, ["log", "-1", "--format=%an", "main"]).trim()).toBe("jane");
  });

  it("with the audience's client admin role writes (ES256)", async () => {
    const token = jwt(ec, {
      ...claims("svc-bos"),
      resource_access: { [AUDIENCE]: { roles: ["admin"] }, account: { roles: ["view-profile"] } },
    });
    const created = await h.call({ method: "POST", path: "/v3/sessions", token, body: session("jwt-2") });
    expect(created.status, created.text).toBe(201);
  });

  it("without the write role only reads: GET 200, a write 403", async () => {
    const token = jwt(ec, { ...claims("viewer"), resource_access: { account: { roles: ["admin"] } } });
    expect((await h.call({ path: "/v3/sessions", token })).status).toBe(200);
    const refused = await h.call({ method: "DELETE", path: "/v3/sessions/jwt-1", token });
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toBe("The token of viewer may only read");
  });

  it("leaves the tokens file working beside it", async () => {
    expect((await h.call({ path: "/v3/sessions", token: TOKENS.reader })).status).toBe(200);
  });
});

describe("a JWT that is not accepted gets 401", () => {
  const base = () => claims("mallory", ["admin"]);
  const unsigned = (): string => `${b64({ alg: "none", typ: "JWT" })}.${b64(base())}.`;
  const hmacWithPublicKey = (): string => {
    const data = `${b64({ alg: "HS256", kid: rsa.kid, typ: "JWT" })}.${b64(base())}`;
    const secret = JSON.stringify(rsa.publicJwk);
    return `${data}.${createHmac("sha256", secret).update(data).digest("base64url")}`;
  };
  const tampered = (): string => {
    const [head, , signature] = jwt(rsa, claims("mallory")).split(".");
    return `${head}.${b64(base())}.${signature}`;
  };
  it.each<[string, () => string]>([
    ["expired", () => jwt(rsa, { ...base(), exp: now() - 3600 })],
    ["without exp", () => jwt(rsa, { ...base(), exp: undefined })],
    ["not valid yet (nbf)", () => jwt(rsa, { ...base(), nbf: now() + 3600 })],
    ["from another issuer", () => jwt(rsa, { ...base(), iss: "https://evil.example.org/realms/x" })],
    ["for another audience", () => jwt(rsa, { ...base(), aud: "account" })],
    ["signed by a key not in the JWKS (same kid)", () => jwt(stranger, base())],
    ["naming an unknown kid", () => jwt(rsa, base(), { kid: "rsa-2" })],
    ["claiming ES256 with an RSA signature", () => jwt(rsa, base(), { alg: "ES256" })],
    ["unsigned (alg none)", unsigned],
    ["HS256 keyed with the public key", hmacWithPublicKey],
    ["with claims changed after signing", tampered],
    ["that is not a JWT", () => "not.a.jwt"],
  ])("%s", async (_what, token) => {
    const answer = await h.call({ path: "/v3/sessions", token: token() });
    expect(answer.status).toBe(401);
    expect(answer.headers["content-type"]).toBe("application/problem+json");
  });
});

describe("the JWKS file", () => {
  it("is re-read when it changes: a rotated-out key's tokens stop working, the new key's start", async () => {
    const rotated = signer("ES256", "ec-2");
    const before = jwt(ec, claims("jane"));
    expect((await h.call({ path: "/v3/sessions", token: before })).status).toBe(200);
    expect(h.api.listener()).toMatchObject({ tokens: 2, jwksKeys: 2 });
    writeJwks([rsa, rotated]);
    expect((await h.call({ path: "/v3/sessions", token: before })).status).toBe(401);
    expect((await h.call({ path: "/v3/sessions", token: jwt(rotated, claims("jane")) })).status).toBe(200);
    writeJwks([rsa, ec]);
  });

  it("never has a token in the log", async () => {
    const token = jwt(rsa, claims("jane", ["admin"]));
    await h.call({ path: "/v3/sessions", token });
    await h.call({ path: "/v3/sessions", token: `${token}x` });
    const text = logged.join("");
    expect(text).toContain("api request");
    for (const part of token.split(".")) expect(text).not.toContain(part);
  });
});

describe("the JWT flags", () => {
  const dir = tempDir("cfs-api-jwt-flags-");
  const jwks = join(dir.path, "jwks.json");
  writeFileSync(jwks, '{"keys": []}');
  afterAll(() => dir.cleanup());

  it("accept JWTs alone, without a tokens file, with admin as the default write role", () => {
    const auth = resolveApiAuth({ apiJwksFile: jwks, apiJwtIssuer: ISSUER, apiJwtAudience: AUDIENCE }, {});
    expect(auth).toEqual({
      tokensFile: null,
      jwt: { jwksFile: jwks, policy: { issuer: ISSUER, audience: AUDIENCE, writeRole: "admin" } },
    });
    const fromEnv = resolveApiAuth(
      {},
      {
        CFS_GITOPS_API_JWKS_FILE: jwks,
        CFS_GITOPS_API_JWT_ISSUER: ISSUER,
        CFS_GITOPS_API_JWT_AUDIENCE: AUDIENCE,
        CFS_GITOPS_API_JWT_WRITE_ROLE: "cfs-admin",
      },
    );
    expect(fromEnv.jwt?.policy.writeRole).toBe("cfs-admin");
  });

  it.each<[string, Parameters<typeof resolveApiAuth>[0], RegExp]>([
    ["a JWKS without issuer and audience", { apiJwksFile: jwks }, /needs --api-jwt-issuer/],
    ["an issuer without JWKS", { apiJwtIssuer: ISSUER }, /need --api-jwks-file/],
    [
      "a JWKS file that is not there",
      { apiJwksFile: join(dir.path, "nope"), apiJwtIssuer: ISSUER, apiJwtAudience: AUDIENCE },
      /no such file/,
    ],
    ["neither tokens nor JWKS", {}, /--api-tokens-file .* or --api-jwks-file/],
  ])("refuse %s (exit 2)", (_what, flags, message) => {
    expect(() => resolveApiAuth(flags, {})).toThrow(ConfigError);
    expect(() => resolveApiAuth(flags, {})).toThrow(message);
  });
});
