/**
 * Authenticating push webhooks with a shared secret, the three ways Git servers sign them:
 * GitHub `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, Gitea `X-Gitea-Signature:
 * <hex HMAC-SHA256>`, GitLab `X-Gitlab-Token: <the secret itself>`. Every compare is constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/** The Git servers whose webhooks are understood. */
export type WebhookProvider = "github" | "gitea" | "gitlab";

/** Request headers with lower-case names (as node:http gives them), one value each. */
export type WebhookHeaders = Readonly<Record<string, string | undefined>>;

/** A verdict on a webhook's signature. */
export type SignatureVerdict = { ok: true; provider: WebhookProvider } | { ok: false; reason: string };

/** Header names, lower-case. */
export const SIGNATURE_HEADERS = {
  gitea: "x-gitea-signature",
  github: "x-hub-signature-256",
  gitlab: "x-gitlab-token",
} as const;

/** Lower-case hex HMAC-SHA256 of `body` keyed with `secret`. */
export function hmacSha256Hex(secret: string, body: Uint8Array): string {
  return createHmac("sha256", secret).update(body).digest("hex");
}

/**
 * True when `a` equals `b`, in time that depends on neither (both are hashed to 32 bytes first, so
 * not even the length leaks).
 */
export function constantTimeEqual(a: string, b: string): boolean {
  const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();
  return timingSafeEqual(digest(a), digest(b));
}

/**
 * Checks the request's signature against `secret`. The provider is chosen by the header present
 * (Gitea first: it sends a GitHub-style header too); a request without any is rejected.
 */
export function verifyWebhookSignature(input: {
  headers: WebhookHeaders;
  body: Uint8Array;
  secret: string;
}): SignatureVerdict {
  const { headers, body, secret } = input;
  if (secret === "") return { ok: false, reason: "no webhook secret is configured" };
  const gitea = headers[SIGNATURE_HEADERS.gitea];
  if (gitea !== undefined)
    return verdict("gitea", constantTimeEqual(gitea.trim().toLowerCase(), hmacSha256Hex(secret, body)));
  const github = headers[SIGNATURE_HEADERS.github];
  if (github !== undefined) {
    const expected = `sha256=${hmacSha256Hex(secret, body)}`;
    return verdict("github", constantTimeEqual(github.trim().toLowerCase(), expected));
  }
  const gitlab = headers[SIGNATURE_HEADERS.gitlab];
  if (gitlab !== undefined) return verdict("gitlab", constantTimeEqual(gitlab, secret));
  return {
    ok: false,
    reason: `no signature: expected one of ${Object.values(SIGNATURE_HEADERS).join(", ")}`,
  };
}

function verdict(provider: WebhookProvider, matches: boolean): SignatureVerdict {
  return matches ? { ok: true, provider } : { ok: false, reason: `${provider} signature does not match` };
}
