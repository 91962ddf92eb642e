/**
 * Reading a push webhook: which event it is and which ref it moved. GitHub, Gitea and GitLab all
 * put the ref at the top level of a push payload (`"ref": "refs/heads/main"`); GitHub and Gitea may
 * send the JSON form-encoded as `payload=...`.
 */
import type { WebhookHeaders, WebhookProvider } from "./webhook-signature.js";

/** What a webhook payload says, as far as a push goes. */
export interface PushPayload {
  /** The full ref (`refs/heads/main`), or null when the payload has none. */
  ref: string | null;
  /** GitLab's `object_kind` (`push`, `tag_push`, ...), or null. */
  objectKind: string | null;
  /**
   * A pull request event's number and action (GitHub/Gitea: top-level `number` and `action`;
   * GitLab: `object_attributes.iid` and `.action`), or null.
   */
  pullRequest: { number: number; action: string } | null;
}

/** A payload, or why it could not be read. */
export type PayloadResult = { ok: true; payload: PushPayload } | { ok: false; reason: string };

/** Parses a webhook body (JSON, or form-encoded with the JSON in `payload`). */
export function parsePushPayload(input: {
  body: Uint8Array;
  contentType: string | undefined;
}): PayloadResult {
  const text = Buffer.from(input.body).toString("utf8");
  // A form without a `payload` field is read as JSON: `curl -d '{...}'` labels JSON as a form.
  const json = (isFormEncoded(input.contentType) ? new URLSearchParams(text).get("payload") : null) ?? text;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: "body is not JSON" };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, reason: "payload is not a JSON object" };
  }
  const record = value as Record<string, unknown>;
  return {
    ok: true,
    payload: {
      ref: stringOrNull(record.ref),
      objectKind: stringOrNull(record.object_kind),
      pullRequest: pullRequestOf(record),
    },
  };
}

function pullRequestOf(record: Record<string, unknown>): PushPayload["pullRequest"] {
  const attributes = record.object_attributes;
  const gitlab =
    typeof attributes === "object" && attributes !== null ? (attributes as Record<string, unknown>) : null;
  const number = gitlab ? gitlab.iid : record.number;
  const action = stringOrNull(gitlab ? gitlab.action : record.action);
  if (typeof number !== "number" || !Number.isInteger(number) || number <= 0 || action === null) return null;
  return { number, action };
}

function isFormEncoded(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() === "application/x-www-form-urlencoded";
}

function stringOrNull(value: unknown): string | null {
  return typeof value === "string" ? value : null;
}

/** The event kind: a push, a pull request (GitLab: merge request), GitHub's `ping` when a hook is set up, or anything else. */
export type WebhookEvent = "push" | "pull_request" | "ping" | "other";

/**
 * The event a request carries, from the provider's event header (`X-GitHub-Event: push`,
 * `X-Gitea-Event: push`, `X-Gitlab-Event: Push Hook`, or a GitLab system hook whose payload is a
 * push). Without an event header, a payload with a ref counts as a push.
 */
export function webhookEvent(input: {
  provider: WebhookProvider;
  headers: WebhookHeaders;
  payload: PushPayload;
}): WebhookEvent {
  const { provider, headers, payload } = input;
  const header = headers[`x-${provider}-event`];
  if (header === undefined) return payload.ref === null ? "other" : "push";
  const event = header.trim().toLowerCase();
  if (provider === "gitlab") {
    const systemPush = event === "system hook" && payload.objectKind === "push";
    if (event === "merge request hook") return "pull_request";
    return event === "push hook" || systemPush ? "push" : "other";
  }
  if (event === "push" || event === "pull_request") return event;
  return event === "ping" ? "ping" : "other";
}

/**
 * Actions of a pull request event that change what merging it would do: opened, reopened, new
 * commits (GitHub `synchronize`, Gitea `synchronized`, GitLab `open`/`reopen`/`update`).
 */
export const PULL_REQUEST_CHECK_ACTIONS: ReadonlySet<string> = new Set([
  "opened",
  "reopened",
  "synchronize",
  "synchronized",
  "open",
  "reopen",
  "update",
]);

/** The branch a ref names (`refs/heads/main` -> `main`), or null for tags and other refs. */
export function branchOfRef(ref: string): string | null {
  const prefix = "refs/heads/";
  return ref.startsWith(prefix) && ref.length > prefix.length ? ref.slice(prefix.length) : null;
}
