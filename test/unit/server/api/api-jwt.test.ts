import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  JWT_LEEWAY_SECONDS,
  JwksFileError,
  callerOfClaims,
  claimsValid,
  parseJwks,
  type JwtPolicy,
} from "../../../../src/server/api/api-jwt.js";

const policy: JwtPolicy = { issuer: "https://idp/realms/r", audience: "cfs", writeRole: "admin" };
const NOW = 1_800_000_000;
const valid = { iss: policy.issuer, aud: "cfs", exp: NOW + 60 };

describe("claimsValid", () => {
  it.each<[string, Record<string, unknown>, boolean]>([
    ["a valid token", valid, true],
    ["aud as a list holding the audience", { ...valid, aud: ["account", "cfs"] }, true],
    ["exp just past, within the leeway", { ...valid, exp: NOW - JWT_LEEWAY_SECONDS + 1 }, true],
    ["exp past the leeway", { ...valid, exp: NOW - JWT_LEEWAY_SECONDS }, false],
    ["no exp", { iss: policy.issuer, aud: "cfs" }, false],
    ["exp not a number", { ...valid, exp: String(NOW + 60) }, false],
    ["nbf within the leeway", { ...valid, nbf: NOW + JWT_LEEWAY_SECONDS }, true],
    ["nbf past the leeway", { ...valid, nbf: NOW + JWT_LEEWAY_SECONDS + 1 }, false],
    ["another issuer", { ...valid, iss: "https://idp/realms/other" }, false],
    ["another audience", { ...valid, aud: ["account"] }, false],
    ["no audience", { iss: policy.issuer, exp: NOW + 60 }, false],
  ])("%s: %s", (_what, claims, expected) => {
    expect(claimsValid(claims, policy, NOW)).toBe(expected);
  });
});

describe("callerOfClaims", () => {
  it.each<[string, Record<string, unknown>, { role: string; name: string }]>([
    [
      "a realm admin",
      { preferred_username: "jane", realm_access: { roles: ["admin"] } },
      { role: "write", name: "jane" },
    ],
    [
      "the audience's client admin",
      { sub: "s-1", resource_access: { cfs: { roles: ["admin"] } } },
      { role: "write", name: "s-1" },
    ],
    [
      "another client's admin",
      { sub: "s-2", resource_access: { account: { roles: ["admin"] } } },
      { role: "read", name: "s-2" },
    ],
    ["no roles, no names", {}, { role: "read", name: "jwt" }],
    [
      "roles that are not lists",
      { realm_access: { roles: "admin" }, preferred_username: "", sub: "s-3" },
      { role: "read", name: "s-3" },
    ],
  ])("%s", (_what, claims, expected) => {
    expect(callerOfClaims(claims, policy)).toEqual(expected);
  });
});

describe("parseJwks", () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey.export({ format: "jwk" });
  const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" });
  const p384 = generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey.export({ format: "jwk" });

  it("keeps RSA and P-256 signing keys, leaving out encryption keys, other curves and other algs", () => {
    const keys = parseJwks(
      JSON.stringify({
        keys: [
          { ...rsa, kid: "a", alg: "RS256", use: "sig" },
          { ...p256, kid: "b" },
          { ...rsa, kid: "enc", use: "enc" },
          { ...p384, kid: "p384" },
          { ...rsa, kid: "ps", alg: "PS256" },
          { kty: "oct", k: "c2VjcmV0", kid: "hmac" },
          { kty: "RSA", kid: "broken", n: "x" },
        ],
      }),
    );
    expect(keys.map((k) => [k.kid, k.alg])).toEqual([
      ["a", "RS256"],
      ["b", "ES256"],
    ]);
  });

  it.each([["not json"], ["[]"], ['{"keys": {}}']])("refuses %s", (text) => {
    expect(() => parseJwks(text)).toThrow(JwksFileError);
  });
});
