import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  constantTimeEqual,
  hmacSha256Hex,
  verifyWebhookSignature,
  type WebhookProvider,
} from "../../../src/server/webhook-signature.js";

/** The headers each provider sends for a body signed with `secret`. */
function signedHeaders(provider: WebhookProvider, secret: string, body: Uint8Array): Record<string, string> {
  if (provider === "github") return { "x-hub-signature-256": `sha256=${hmacSha256Hex(secret, body)}` };
  if (provider === "gitea") return { "x-gitea-signature": hmacSha256Hex(secret, body) };
  return { "x-gitlab-token": secret };
}

const providers = fc.constantFrom<WebhookProvider>("github", "gitea", "gitlab");
const secrets = fc.string({ minLength: 1, maxLength: 64 });
const bodies = fc.uint8Array({ maxLength: 512 });

describe("hmacSha256Hex", () => {
  it("matches GitHub's documented example delivery", () => {
    // https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
    const body = Buffer.from("Hello, World!");
    expect(`sha256=${hmacSha256Hex("It's a Secret to Everybody", body)}`).toBe(
      "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
    );
  });
});

describe("constantTimeEqual", () => {
  it("agrees with === for any two strings, whatever their lengths", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (a, b) => constantTimeEqual(a, b) === (a === b)));
    fc.assert(fc.property(fc.string(), (a) => constantTimeEqual(a, a)));
  });
});

describe("verifyWebhookSignature", () => {
  it("accepts any body signed with the secret, for every provider", () => {
    fc.assert(
      fc.property(providers, secrets, bodies, (provider, secret, body) => {
        const verdict = verifyWebhookSignature({
          headers: signedHeaders(provider, secret, body),
          body,
          secret,
        });
        expect(verdict).toEqual({ ok: true, provider });
      }),
    );
  });

  it("rejects a body changed after signing (GitHub and Gitea sign the body)", () => {
    const hmacProviders = fc.constantFrom<WebhookProvider>("github", "gitea");
    fc.assert(
      fc.property(
        hmacProviders,
        secrets,
        bodies,
        fc.uint8Array({ minLength: 1, maxLength: 8 }),
        (provider, secret, body, extra) => {
          const tampered = Buffer.concat([body, extra]);
          const verdict = verifyWebhookSignature({
            headers: signedHeaders(provider, secret, body),
            body: tampered,
            secret,
          });
          expect(verdict.ok).toBe(false);
        },
      ),
    );
  });

  it("rejects a signature made with another secret", () => {
    fc.assert(
      fc.property(providers, secrets, secrets, bodies, (provider, secret, other, body) => {
        fc.pre(secret !== other);
        const verdict = verifyWebhookSignature({
          headers: signedHeaders(provider, other, body),
          body,
          secret,
        });
        expect(verdict).toEqual({ ok: false, reason: `${provider} signature does not match` });
      }),
    );
  });

  it("accepts upper-case hex and surrounding spaces in the signature headers", () => {
    const body = Buffer.from('{"ref":"refs/heads/main"}');
    const hex = hmacSha256Hex("s3cret", body).toUpperCase();
    expect(
      verifyWebhookSignature({ headers: { "x-gitea-signature": ` ${hex} ` }, body, secret: "s3cret" }).ok,
    ).toBe(true);
    expect(
      verifyWebhookSignature({ headers: { "x-hub-signature-256": `SHA256=${hex}` }, body, secret: "s3cret" })
        .ok,
    ).toBe(true);
  });

  it("checks Gitea's own header when Gitea also sends the GitHub-style one", () => {
    const body = Buffer.from("{}");
    const headers = {
      "x-gitea-signature": "00",
      "x-hub-signature-256": `sha256=${hmacSha256Hex("k", body)}`,
    };
    expect(verifyWebhookSignature({ headers, body, secret: "k" })).toEqual({
      ok: false,
      reason: "gitea signature does not match",
    });
  });

  it("rejects a request without any signature header, and refuses to work without a secret", () => {
    const body = Buffer.from("{}");
    const unsigned = verifyWebhookSignature({ headers: {}, body, secret: "k" });
    expect(unsigned.ok).toBe(false);
    expect(unsigned.ok ? "" : unsigned.reason).toMatch(/^no signature: expected one of x-gitea-signature/);
    expect(verifyWebhookSignature({ headers: { "x-gitlab-token": "" }, body, secret: "" })).toEqual({
      ok: false,
      reason: "no webhook secret is configured",
    });
  });

  it("rejects GitHub's old SHA-1 header alone", () => {
    const body = Buffer.from("{}");
    expect(verifyWebhookSignature({ headers: { "x-hub-signature": "sha1=00" }, body, secret: "k" }).ok).toBe(
      false,
    );
  });
});
