/**
 * The controller's HTTP endpoints on node:http: `GET /healthz` (the process is alive), `GET /readyz`
 * (ready to act: see readiness.ts), `GET /metrics` (Prometheus text) and `POST /hooks/git` (push
 * webhooks that trigger a pass at once). Handlers answer with a plain `Reply`; one function writes it.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import { decideWebhook } from "./decide-webhook.js";
import type { ListenAddress } from "./listen-address.js";
import { listenServer } from "./listen-server.js";
import type { ControllerMetrics } from "./metrics.js";
import { readinessResponse, type ReadinessCheck } from "./readiness.js";
import type { WebhookHeaders } from "./webhook-signature.js";

/** Default largest webhook body: 1 MiB (GitHub push payloads list at most 20 commits). */
export const DEFAULT_MAX_WEBHOOK_BYTES = 1024 * 1024;

/** The push webhook receiver's settings. */
export interface WebhookReceiver {
  /** The shared secret (HMAC key for GitHub and Gitea, token for GitLab). */
  secret: string;
  /** The watched branch. */
  branch: string;
  /** Asks for a pass now; false when this replica does not run the loop (not the leader). */
  trigger: (reason: string) => boolean;
  /** Checks a pull request (opened, or new commits); unset: pull request events are ignored. */
  checkPullRequest?: (pr: number) => void;
  maxBodyBytes?: number;
}

/** Options of startHttpServer. */
export interface HttpServerOptions {
  listen: ListenAddress;
  log: Logger;
  metrics: ControllerMetrics;
  readiness: () => ReadinessCheck[];
  /** Null when no webhook secret is configured: `/hooks/git` answers 404. */
  webhook: WebhookReceiver | null;
}

/** A listening server. */
export interface HttpServer {
  /** The port bound (useful with port 0). */
  readonly port: number;
  /** `http://<host>:<port>` for a client on this machine. */
  readonly url: string;
  close(): Promise<void>;
}

/** What a handler answers. */
interface Reply {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

type Handler = (req: IncomingMessage, options: HttpServerOptions) => Promise<Reply>;

const TEXT = "text/plain; charset=utf-8";

/** The routes: path -> allowed methods and handler. */
const ROUTES: Readonly<Record<string, { methods: readonly string[]; handler: Handler }>> = {
  "/healthz": { methods: ["GET", "HEAD"], handler: () => Promise.resolve({ status: 200, body: "ok\n" }) },
  "/readyz": { methods: ["GET", "HEAD"], handler: (_req, options) => Promise.resolve(readyz(options)) },
  "/metrics": { methods: ["GET"], handler: (_req, options) => metricsReply(options) },
  "/hooks/git": { methods: ["POST"], handler: (req, options) => hookReply(req, options) },
};

/** Starts listening; resolves once the port is bound. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const log = options.log.child({ component: "http" });
  const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
    respond({ req, res, options: { ...options, log } }).catch((error: unknown) => {
      log.warn({ err: error, path: req.url }, "could not answer a request");
      res.destroy();
    });
  });
  return listenServer({
    server,
    listen: options.listen,
    scheme: "http",
    log,
    message: "http server listening",
  });
}

async function respond(input: {
  req: IncomingMessage;
  res: ServerResponse;
  options: HttpServerOptions;
}): Promise<void> {
  const { req, res, options } = input;
  let reply: Reply;
  try {
    reply = await route(req, options);
  } catch (error) {
    options.log.error({ err: error, path: req.url }, "request failed");
    reply = { status: 500, body: "internal error\n" };
  }
  res.writeHead(reply.status, { "content-type": reply.contentType ?? TEXT, ...reply.headers });
  res.end(req.method === "HEAD" ? undefined : reply.body);
}

function route(req: IncomingMessage, options: HttpServerOptions): Promise<Reply> {
  const path = new URL(req.url ?? "/", "http://localhost").pathname;
  const entry = ROUTES[path];
  if (!entry) return Promise.resolve({ status: 404, body: "not found\n" });
  if (!entry.methods.includes(req.method ?? "")) {
    return Promise.resolve({
      status: 405,
      body: "method not allowed\n",
      headers: { allow: entry.methods.join(", ") },
    });
  }
  return entry.handler(req, options);
}

function readyz(options: HttpServerOptions): Reply {
  const { status, body } = readinessResponse(options.readiness());
  return { status, body };
}

async function metricsReply(options: HttpServerOptions): Promise<Reply> {
  const { contentType, body } = await options.metrics.render();
  return { status: 200, body, contentType };
}

async function hookReply(req: IncomingMessage, options: HttpServerOptions): Promise<Reply> {
  const { webhook, metrics, log } = options;
  if (webhook === null)
    return { status: 404, body: "webhook receiver is off: no webhook secret configured\n" };
  const body = await readBody(req, webhook.maxBodyBytes ?? DEFAULT_MAX_WEBHOOK_BYTES);
  if (body === null) {
    metrics.observeWebhook("too_large");
    return { status: 413, body: "payload too large\n", headers: { connection: "close" } };
  }
  const settings = { ...webhook, pullRequests: webhook.checkPullRequest !== undefined };
  const decision = decideWebhook({ headers: singleHeaders(req), body }, settings);
  if (decision.pullRequest !== undefined) webhook.checkPullRequest?.(decision.pullRequest);
  const triggered = decision.trigger ? webhook.trigger("webhook") : false;
  if (decision.trigger && !triggered) {
    metrics.observeWebhook("not_leader");
    return { status: 503, body: "not the leader: this replica does not run the controller loop\n" };
  }
  metrics.observeWebhook(decision.result);
  log.info({ provider: decision.provider, result: decision.result, why: decision.message }, "webhook");
  return { status: decision.status, body: `${decision.message}\n` };
}

/** Reads the body, or null as soon as it is longer than `limit` (the rest is left unread). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (value: Buffer | null) => {
      req.off("data", onData).off("end", onEnd).off("error", reject);
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) done(null);
      else chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks));
    req.on("data", onData).on("end", onEnd).on("error", reject);
  });
}

/** Headers with one value each (the first of a repeated header). */
function singleHeaders(req: IncomingMessage): WebhookHeaders {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(req.headers))
    headers[name] = Array.isArray(value) ? value[0] : value;
  return headers;
}
