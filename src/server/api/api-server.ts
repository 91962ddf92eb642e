/**
 * The REST API's listener, separate from the health/metrics one: HTTPS by default (plain HTTP
 * only when the caller asked for it on a loopback address, checked where the flags are read),
 * a bearer token on every request (401 without or with an unknown one, 403 when a reader writes),
 * bodies within limits, every error as CFS's `application/problem+json`.
 */
import { readFileSync } from "node:fs";
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { Logger } from "pino";
import type { ListenAddress } from "../listen-address.js";
import { listenServer } from "../listen-server.js";
import { ApiError, problemBody } from "./api-error.js";
import { isWriteMethod, matchRoute, stripPrefix, type ApiReply, type ApiRoute } from "./api-router.js";
import type { ApiCaller, ApiTokens } from "./api-tokens.js";
import { readJsonBody, type BodyLimits, DEFAULT_BODY_LIMITS } from "./json-body.js";
import type { WriteRateLimiter } from "./write-rate-limiter.js";

/** The path prefix the `cray` CLI and BOS use through the API gateway. */
export const DEFAULT_API_PREFIX = "/apis/cfs";

/** Options of startApiServer. */
export interface ApiServerOptions {
  listen: ListenAddress;
  /** PEM files of the serving certificate and key; null serves plain HTTP (loopback only, checked by the caller). */
  tls: { certFile: string; keyFile: string } | null;
  prefix: string;
  tokens: Pick<ApiTokens, "authenticate">;
  routes: readonly ApiRoute[];
  log: Logger;
  limits?: BodyLimits;
  /** Writes per caller; null: unlimited. */
  writeRate?: Pick<WriteRateLimiter, "take"> | null;
}

/** A listening API server. */
export interface ApiServer {
  readonly port: number;
  /** `https://<host>:<port>` (or http) for a client on this machine. */
  readonly url: string;
  /** True while bound and accepting connections (false once closed): readiness reads it. */
  readonly listening: boolean;
  close(): Promise<void>;
}

/** Starts listening; resolves once the port is bound. */
export async function startApiServer(options: ApiServerOptions): Promise<ApiServer> {
  const log = options.log.child({ component: "api" });
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    answer({ req, res, options, log }).catch((error: unknown) => {
      log.warn({ err: error, method: req.method }, "could not answer a request");
      res.destroy();
    });
  };
  const timeouts = { requestTimeout: 60_000, headersTimeout: 10_000 };
  const server: Server =
    options.tls === null
      ? createHttpServer(timeouts, handle)
      : createHttpsServer(
          { ...timeouts, cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) },
          handle,
        );
  const scheme = options.tls === null ? "http" : "https";
  const bound = await listenServer({
    server,
    listen: options.listen,
    scheme,
    log,
    message: "api listening",
    fields: { scheme },
  });
  return {
    port: bound.port,
    url: bound.url,
    get listening() {
      return server.listening;
    },
    close: () => bound.close(),
  };
}

async function answer(input: {
  req: IncomingMessage;
  res: ServerResponse;
  options: ApiServerOptions;
  log: Logger;
}): Promise<void> {
  const { req, res, options, log } = input;
  const started = performance.now();
  let reply: ApiReply;
  let headers: Record<string, string> = {};
  try {
    reply = await dispatch(req, options);
  } catch (error) {
    const known = error instanceof ApiError ? error : internalError(error, log);
    reply = { status: known.status, body: problemBody(known) };
    headers = { ...known.headers };
  }
  const problem = reply.status >= 400;
  const body = reply.body === undefined ? undefined : JSON.stringify(reply.body);
  if (body !== undefined) headers["content-type"] = problem ? "application/problem+json" : "application/json";
  res.writeHead(reply.status, headers);
  res.end(body);
  log.debug(
    {
      method: req.method,
      path: pathOf(req),
      status: reply.status,
      ms: Math.round(performance.now() - started),
    },
    "api request",
  );
}

function internalError(error: unknown, log: Logger): ApiError {
  log.error({ err: error }, "api request failed");
  return new ApiError(500, "Internal Server Error", "The request failed; the controller's log says why");
}

function pathOf(req: IncomingMessage): string {
  return new URL(req.url ?? "/", "http://localhost").pathname;
}

async function dispatch(req: IncomingMessage, options: ApiServerOptions): Promise<ApiReply> {
  const method = req.method ?? "GET";
  const caller = authorize(req, options);
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = stripPrefix(url.pathname, options.prefix);
  const match = matchRoute(options.routes, method, path);
  if (match.kind === "none") throw new ApiError(404, "Not Found", `No such resource: ${url.pathname}`);
  if (match.kind === "method")
    throw new ApiError(405, "Method Not Allowed", `${method} is not allowed on ${url.pathname}`, {
      allow: match.allowed.join(", "),
    });
  const limits = options.limits ?? DEFAULT_BODY_LIMITS;
  return match.route.handler({
    method,
    path,
    params: match.params,
    query: url.searchParams,
    caller,
    body: () => readJsonBody(req, limits),
  });
}

/** The caller of a request: 401 without a known bearer token, 403 when a reader writes. */
function authorize(req: IncomingMessage, options: ApiServerOptions): ApiCaller {
  const caller = options.tokens.authenticate(req.headers.authorization);
  if (caller === null)
    throw new ApiError(401, "Unauthorized", "A valid bearer token is required", {
      "www-authenticate": 'Bearer realm="cfs-gitops"',
    });
  const writes = isWriteMethod(req.method ?? "GET");
  if (caller.role === "read" && writes)
    throw new ApiError(403, "Forbidden", `The token of ${caller.name} may only read`);
  const wait = writes ? (options.writeRate?.take(caller.name) ?? null) : null;
  if (wait !== null)
    throw new ApiError(
      429,
      "Too Many Requests",
      `Too many writes by ${caller.name}: try again in ${wait} s`,
      {
        "retry-after": String(wait),
      },
    );
  return caller;
}
