/**
 * What to do with a request to `POST /hooks/git`, as a pure function of the request: 401 when the
 * signature is wrong, 400 when the payload is unreadable, 200 (ignored) for other events and other
 * branches, 202 and a pass when the watched branch was pushed (as Flux's Receiver does).
 */
import {
  PULL_REQUEST_CHECK_ACTIONS,
  branchOfRef,
  parsePushPayload,
  webhookEvent,
  type PushPayload,
} from "./webhook-payload.js";
import { verifyWebhookSignature, type WebhookHeaders, type WebhookProvider } from "./webhook-signature.js";

/** The request as the decision needs it. */
export interface WebhookRequest {
  headers: WebhookHeaders;
  body: Uint8Array;
}

/** The receiver's settings. */
export interface WebhookSettings {
  /** The shared secret (GitHub/Gitea HMAC key, GitLab token). */
  secret: string;
  /** The watched branch; pushes to any other ref are ignored. */
  branch: string;
  /** True when pull request events are checked (a forge is configured); else they are ignored. */
  pullRequests?: boolean;
}

/** How a webhook request ended, for the response and the metrics label. */
export type WebhookResult = "triggered" | "pr_check" | "ignored" | "unauthorized" | "bad_request";

/** The answer to one webhook request. */
export interface WebhookDecision {
  status: 200 | 202 | 400 | 401;
  result: WebhookResult;
  provider: WebhookProvider | null;
  /** One line for the response body and the log (never the secret). */
  message: string;
  /** True when a pass should run now. */
  trigger: boolean;
  /** The pull request to check, when the request is a pull request event worth checking. */
  pullRequest?: number;
}

/** Decides on one webhook request. */
export function decideWebhook(request: WebhookRequest, settings: WebhookSettings): WebhookDecision {
  const signature = verifyWebhookSignature({ ...request, secret: settings.secret });
  if (!signature.ok) return answer({ status: 401, result: "unauthorized", message: signature.reason });
  const provider = signature.provider;
  const parsed = parsePushPayload({ body: request.body, contentType: request.headers["content-type"] });
  if (!parsed.ok) return answer({ status: 400, result: "bad_request", provider, message: parsed.reason });
  const event = webhookEvent({ provider, headers: request.headers, payload: parsed.payload });
  if (event === "ping") return answer({ status: 200, result: "ignored", provider, message: "pong" });
  if (event === "pull_request") return decidePullRequest({ provider, payload: parsed.payload, settings });
  const ref = parsed.payload.ref;
  if (event !== "push" || ref === null) {
    return answer({ status: 200, result: "ignored", provider, message: `ignored: not a push event` });
  }
  if (branchOfRef(ref) !== settings.branch) {
    const message = `ignored: push to ${ref}; watching refs/heads/${settings.branch}`;
    return answer({ status: 200, result: "ignored", provider, message });
  }
  return { status: 202, result: "triggered", provider, message: `accepted: push to ${ref}`, trigger: true };
}

function decidePullRequest(input: {
  provider: WebhookProvider;
  payload: PushPayload;
  settings: WebhookSettings;
}): WebhookDecision {
  const { provider, payload, settings } = input;
  const pr = payload.pullRequest;
  if (settings.pullRequests !== true)
    return answer({
      status: 200,
      result: "ignored",
      provider,
      message: "ignored: no forge configured for pull requests",
    });
  if (pr === null)
    return answer({
      status: 400,
      result: "bad_request",
      provider,
      message: "pull request event without a number and action",
    });
  if (!PULL_REQUEST_CHECK_ACTIONS.has(pr.action)) {
    return answer({
      status: 200,
      result: "ignored",
      provider,
      message: `ignored: pull request ${pr.number} ${pr.action}`,
    });
  }
  const message = `accepted: pull request ${pr.number} ${pr.action}, checking`;
  return { status: 202, result: "pr_check", provider, message, trigger: false, pullRequest: pr.number };
}

function answer(input: {
  status: WebhookDecision["status"];
  result: WebhookResult;
  message: string;
  provider?: WebhookProvider;
}): WebhookDecision {
  return { ...input, provider: input.provider ?? null, trigger: false };
}
