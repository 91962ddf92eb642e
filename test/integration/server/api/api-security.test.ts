/**
 * The REST API's doors: HTTPS with a certificate made by openssl (checked by a client that trusts
 * its CA, and by one with checks off as `cray` runs), bearer tokens (401, 403, good tokens, the file
 * re-read when it changes, never logged), plain HTTP only on loopback, and versions/healthz bodies
 * validated against the CFS spec.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveApiConfig } from "../../../../src/cli/api-service.js";
import { ConfigError } from "../../../../src/cli/config.js";
import { runCli } from "../../../../src/cli/run-cli.js";
import { ApiTokens, parseTokens, TokenFileError } from "../../../../src/server/api/index.js";
import { callApi } from "../../../helpers/api-client.js";
import { tempDir } from "../../../helpers/config-repo.js";
import { referenceSpecPath } from "../../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "../../cli/cfs-openapi.js";
import { startApiHarness, TOKENS, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("HTTPS", () => {
  it("serves a certificate a client trusting the test CA accepts for 127.0.0.1", async () => {
    expect(h.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await callApi({
      url: h.url,
      path: "/apis/cfs/v3/sessions",
      token: TOKENS.reader,
      ca: h.pki!.caPem,
    });
    expect(answer.status).toBe(200);
  });

  it("does not speak plain HTTP on the HTTPS port", async () => {
    const plain = h.url.replace("https:", "http:");
    await expect(callApi({ url: plain, path: "/v3/sessions", token: TOKENS.reader })).rejects.toThrow();
  });
});

describe("bearer tokens", () => {
  it("answers 401 problem+json without a token, with an unknown one, or with another scheme", async () => {
    for (const token of [null, "not-a-known-token-at-all", `${TOKENS.writer}x`]) {
      const answer = await h.call({ path: "/apis/cfs/v3/sessions", token });
      expect(answer.status).toBe(401);
      expect(answer.headers["content-type"]).toBe("application/problem+json");
      expect(answer.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
    const basic = await h.call({ path: "/v3/sessions", token: null });
    expect(basic.status).toBe(401);
  });

  it("answers 401 before saying whether a path exists", async () => {
    expect((await h.call({ path: "/v3/no-such-thing", token: null })).status).toBe(401);
    expect((await h.call({ path: "/v3/no-such-thing" })).status).toBe(404);
  });

  it("lets a reader read and answers 403 when it writes; a writer writes", async () => {
    expect((await h.call({ path: "/v3/sessions", token: TOKENS.reader })).status).toBe(200);
    const body = { name: "by-bob", configuration_name: "site" };
    const refused = await h.call({ method: "POST", path: "/v3/sessions", token: TOKENS.reader, body });
    expect(refused.status).toBe(403);
    expect(refused.json.detail).toBe("The token of bob may only read");
    const deleted = await h.call({ method: "DELETE", path: "/v3/sessions/x", token: TOKENS.reader });
    expect(deleted.status).toBe(403);
    const created = await h.call({ method: "POST", path: "/v3/sessions", token: TOKENS.writer, body });
    expect(created.status, created.text).toBe(201);
  });

  it("answers 405 with Allow for a method a path does not take", async () => {
    const answer = await h.call({ method: "PUT", path: "/v3/sessions" });
    expect(answer.status).toBe(405);
    expect(answer.headers["allow"]).toBe("GET, POST, DELETE");
  });

  it("re-reads the tokens file when it changes: a new token works, a removed one stops working", async () => {
    const carol = "c-0123456789abcdef-carol";
    writeFileSync(h.tokensFile, `${TOKENS.reader} read bob\n${carol} write carol\n`);
    expect((await h.call({ path: "/v3/sessions", token: carol })).status).toBe(200);
    expect((await h.call({ path: "/v3/sessions", token: TOKENS.writer })).status).toBe(401);
    writeFileSync(h.tokensFile, "this line is broken\n");
    expect((await h.call({ path: "/v3/sessions", token: carol })).status).toBe(200);
    writeFileSync(h.tokensFile, `${TOKENS.writer} write alice\n${TOKENS.reader} read bob\n`);
    expect((await h.call({ path: "/v3/sessions", token: TOKENS.writer })).status).toBe(200);
  });

  it("never logs a token, even when the file is broken or a caller sends a wrong one", () => {
    const dir = tempDir("cfs-api-tokens-");
    const lines: string[] = [];
    const log = pino(
      { level: "debug" },
      new Writable({
        write: (chunk: Buffer, _encoding, done) => {
          lines.push(chunk.toString("utf8"));
          done();
        },
      }),
    );
    const file = join(dir.path, "tokens");
    const secret = "s-very-secret-token-0001";
    writeFileSync(file, `${secret} write dave\n`);
    const tokens = new ApiTokens(file, log);
    expect(tokens.authenticate(`Bearer ${secret}`)).toEqual({ role: "write", name: "dave" });
    expect(tokens.authenticate("Bearer s-very-secret-token-0002")).toBeNull();
    writeFileSync(file, `${secret} admin dave\n`);
    expect(tokens.authenticate(`Bearer ${secret}`)).toEqual({ role: "write", name: "dave" });
    expect(lines.join("")).toContain("unusable");
    expect(lines.join("")).not.toContain("very-secret");
    dir.cleanup();
  });

  it.each([
    [
      "a role that is neither read nor write",
      "t-0123456789abcdef admin eve\n",
      "line 1: the role must be read or write",
    ],
    ["no name", "\n\nt-0123456789abcdef read\n", "line 3: expected <token> <role> <name>"],
    ["a short token", "short read eve\n", "line 1: the token is shorter than 16 characters"],
  ])("refuses a tokens file with %s, naming the line and not the token", (_what, text, message) => {
    expect(() => parseTokens(text)).toThrow(new TokenFileError(message));
  });

  it("reads comments, blank lines and names with spaces", () => {
    expect(parseTokens("# ops\n\nt-0123456789abcdef read Eve Smith # on call\n")).toEqual([
      { role: "read", name: "Eve Smith" },
    ]);
  });
});

describe("plain HTTP", () => {
  const files = () => {
    const dir = tempDir("cfs-api-flags-");
    const tokens = join(dir.path, "tokens");
    writeFileSync(tokens, `${TOKENS.writer} write alice\n`);
    return { dir, tokens };
  };

  it.each([["0.0.0.0:8443"], [":8443"], ["192.168.1.5:8443"], ["[::]:8443"]])(
    "is refused with --api-insecure on %s (not loopback)",
    (listen) => {
      const { dir, tokens } = files();
      expect(() =>
        resolveApiConfig({ apiListen: listen, apiInsecure: true, apiTokensFile: tokens }, {}),
      ).toThrow(ConfigError);
      dir.cleanup();
    },
  );

  it.each([["127.0.0.1:8080"], ["localhost:0"], ["[::1]:8080"]])(
    "is allowed with --api-insecure on %s",
    (listen) => {
      const { dir, tokens } = files();
      expect(
        resolveApiConfig({ apiListen: listen, apiInsecure: true, apiTokensFile: tokens }, {})?.tls,
      ).toBeNull();
      dir.cleanup();
    },
  );

  it("is never the default: without certificate and key the API does not start", () => {
    const { dir, tokens } = files();
    expect(() => resolveApiConfig({ apiListen: "127.0.0.1:8443", apiTokensFile: tokens }, {})).toThrow(
      /--api-cert and --api-key/,
    );
    expect(() => resolveApiConfig({ apiListen: "127.0.0.1:8443" }, {})).toThrow(/--api-tokens-file/);
    dir.cleanup();
  });

  it("makes `controller` exit 2 with one line when asked for plain HTTP on every interface", async () => {
    const { dir, tokens } = files();
    const stderr: string[] = [];
    const code = await runCli(
      [
        "controller",
        "--repo",
        h.repo.path,
        "--api-listen",
        "0.0.0.0:0",
        "--api-insecure",
        "--api-tokens-file",
        tokens,
      ],
      {
        stdout: { write: () => undefined },
        stderr: { write: (text) => void stderr.push(text) },
        stdin: null,
        env: {},
        cwd: dir.path,
        now: () => new Date(),
        sleep: () => Promise.resolve(),
      },
    );
    expect(code).toBe(2);
    expect(stderr.join("")).toMatch(
      /--api-insecure serves plain HTTP, which is allowed only on a loopback address/,
    );
    dir.cleanup();
  });

  it("serves plain HTTP on loopback when asked", async () => {
    const insecure = await startApiHarness({ insecure: true });
    try {
      expect(insecure.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      expect((await insecure.call({ path: "/apis/cfs/v3/sessions" })).status).toBe(200);
      expect((await insecure.call({ path: "/apis/cfs/v3/sessions", token: null })).status).toBe(401);
    } finally {
      await insecure.close();
    }
  });
});

describe("the serving certificate", () => {
  it("is refused at start with one line when a file is not PEM (a Secret still holding its placeholder)", () => {
    const dir = tempDir("cfs-api-pem-");
    const tokens = join(dir.path, "tokens");
    writeFileSync(tokens, `${TOKENS.writer} write alice\n`);
    const placeholder = join(dir.path, "placeholder");
    writeFileSync(placeholder, "REPLACE-with-the-PEM-certificate\n");
    const pki = { cert: h.pki!.servingCertPath, key: h.pki!.servingKeyPath };
    const resolve = (cert: string, key: string) => () =>
      resolveApiConfig({ apiListen: ":8443", apiCert: cert, apiKey: key, apiTokensFile: tokens }, {});
    try {
      expect(resolve(pki.cert, pki.key)()?.tls).toEqual({ certFile: pki.cert, keyFile: pki.key });
      expect(resolve(placeholder, pki.key)).toThrow(`--api-cert ${placeholder}: not a PEM certificate`);
      expect(resolve(pki.cert, placeholder)).toThrow(`--api-key ${placeholder}: not a PEM private key`);
      expect(resolve(pki.key, pki.key)).toThrow(/not a PEM certificate/);
    } finally {
      dir.cleanup();
    }
  });
});

describe("versions and healthz", () => {
  it("answers /versions, / and /v3 with a Version and /healthz with a Healthz, under both prefixes", async (context) => {
    const spec = referenceSpecPath(context, "cfs");
    const version = cfsSchemaValidator({ spec, name: "Version" });
    const health = cfsSchemaValidator({ spec, name: "Healthz" });
    for (const path of ["/apis/cfs/versions", "/versions", "/apis/cfs/", "/apis/cfs/v3", "/v3"]) {
      const answer = await h.call({ path, token: TOKENS.reader });
      expect(answer.status, path).toBe(200);
      expect(version(answer.json), JSON.stringify(version.errors)).toBe(true);
    }
    for (const path of ["/apis/cfs/healthz", "/healthz"]) {
      const answer = await h.call({ path, token: TOKENS.reader });
      expect(answer.status).toBe(200);
      expect(answer.json).toEqual({ db_status: "ok", kafka_status: "not_used" });
      expect(health(answer.json), JSON.stringify(health.errors)).toBe(true);
    }
  });
});

describe("the rate of writes", () => {
  it("answers 429 with Retry-After to a caller past its burst of writes, and still serves its reads", async () => {
    const limited = await startApiHarness({ insecure: true, writeRate: 1 });
    try {
      const deletes = [];
      for (let i = 0; i < 6; i++)
        deletes.push(await limited.call({ method: "DELETE", path: "/v3/sessions/nope" }));
      expect(deletes.map((a) => a.status)).toEqual([404, 404, 404, 404, 404, 429]);
      const last = deletes[5]!;
      expect(last.headers["retry-after"]).toBe("1");
      expect(last.headers["content-type"]).toBe("application/problem+json");
      expect(last.json.detail).toBe("Too many writes by alice: try again in 1 s");
      expect((await limited.call({ path: "/v3/sessions" })).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
