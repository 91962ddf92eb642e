/**
 * One JSON request to a forge's REST API: the token from a file (read for every request, so a
 * rotated token is picked up), a timeout, and every failure mapped once to a ForgeError (429 and a
 * GitHub-style exhausted rate limit become `rate-limited` with the wait the forge asked for).
 * Messages name the method, path and status; never the token.
 */
import { readFile } from "node:fs/promises";
import { ForgeError } from "./errors.js";

/** How the token goes on the wire. */
export type TokenHeader = (token: string) => Record<string, string>;

/** A forge's HTTP client settings. */
export interface ForgeHttpOptions {
  /** The REST API base, without a trailing slash (`https://api.github.com`, `https://git.example.org/api/v1`). */
  baseUrl: string;
  /** Reads the token (a file, read on each request). */
  token: () => Promise<string>;
  tokenHeader: TokenHeader;
  /** Headers every request carries (Accept, API version). */
  headers?: Record<string, string>;
  /** default globalThis.fetch */
  fetch?: typeof fetch;
  /** default 15 s */
  timeoutMs?: number;
  /** The clock the rate-limit reset time is compared with; default the system clock. */
  now?: () => Date;
}

/** One request. */
export interface ForgeRequest {
  method: "GET" | "POST" | "PATCH" | "PUT";
  /** The path below the base, starting with `/`, already URL-encoded; query included. */
  path: string;
  body?: object;
}

/** A JSON answer. */
export interface ForgeResponse {
  status: number;
  json: unknown;
  headers: Headers;
}

/** The token of a file: its content without surrounding whitespace; refused when empty. */
export function tokenFromFile(path: string): () => Promise<string> {
  return async () => {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new ForgeError({
        code: "token",
        message: `cannot read the forge token file ${path} (${String(code)})`,
      });
    }
    const token = text.trim();
    if (token === "")
      throw new ForgeError({ code: "token", message: `the forge token file ${path} is empty` });
    return token;
  };
}

/** Sends one request and returns its JSON answer (null for an empty body); throws ForgeError. */
export async function forgeRequest(options: ForgeHttpOptions, request: ForgeRequest): Promise<ForgeResponse> {
  const token = await options.token();
  const what = `${request.method} ${request.path.split("?")[0] ?? request.path}`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(`${options.baseUrl}${request.path}`, {
      method: request.method,
      headers: {
        accept: "application/json",
        ...options.headers,
        ...options.tokenHeader(token),
        ...(request.body === undefined ? {} : { "content-type": "application/json" }),
      },
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
  } catch (error) {
    throw new ForgeError({ code: "unreachable", message: `${what}: no answer from the forge`, cause: error });
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) throw answerError({ what, response, text, now: options.now ?? (() => new Date()) });
  return { status: response.status, json: parseJson(text, what), headers: response.headers };
}

function parseJson(text: string, what: string): unknown {
  if (text.trim() === "") return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ForgeError({
      code: "invalid-response",
      message: `${what}: the answer is not JSON`,
      cause: error,
    });
  }
}

function answerError(input: { what: string; response: Response; text: string; now: () => Date }): ForgeError {
  const { what, response, text } = input;
  const status = response.status;
  const detail = shortDetail(text);
  const wait = rateLimitWaitMs(response.headers, input.now());
  const limited = status === 429 || (status === 403 && wait !== null);
  if (limited) {
    const message = `${what}: rate limited by the forge (${status})`;
    return new ForgeError({ code: "rate-limited", message, status, retryAfterMs: wait ?? 60_000 });
  }
  return new ForgeError({ code: "http", message: `${what}: HTTP ${status}${detail}`, status });
}

/**
 * How long a rate-limited answer asks to wait: `Retry-After` (seconds), else GitHub's and GitLab's
 * `X-RateLimit-Remaining: 0` with `X-RateLimit-Reset` (epoch seconds); null when neither says.
 */
export function rateLimitWaitMs(headers: Headers, now: Date): number | null {
  const retryAfter = Number(headers.get("retry-after") ?? Number.NaN);
  if (Number.isFinite(retryAfter) && retryAfter >= 0) return retryAfter * 1000;
  if (headers.get("x-ratelimit-remaining") !== "0") return null;
  const reset = Number(headers.get("x-ratelimit-reset") ?? Number.NaN);
  return Number.isFinite(reset) ? Math.max(1000, reset * 1000 - now.getTime()) : 60_000;
}

/** The forge's own message, short (`: Validation Failed`), or nothing. */
function shortDetail(text: string): string {
  try {
    const value = JSON.parse(text) as { message?: unknown };
    if (typeof value.message === "string") return `: ${value.message.slice(0, 200)}`;
  } catch {
    // not JSON: no detail
  }
  return "";
}

/** Every item of a paged list: pages of `perPage` until one comes back shorter. */
export async function allPages<T>(input: {
  http: ForgeHttpOptions;
  /** The path with its query, given the page number (1-based). */
  path: (page: number) => string;
  perPage: number;
  item: (value: unknown) => T | null;
  /** Safety stop: at most this many pages (default 50). */
  maxPages?: number;
}): Promise<T[]> {
  const out: T[] = [];
  for (let page = 1; page <= (input.maxPages ?? 50); page += 1) {
    const { json } = await forgeRequest(input.http, { method: "GET", path: input.path(page) });
    const items = Array.isArray(json) ? json : [];
    for (const value of items) {
      const item = input.item(value);
      if (item !== null) out.push(item);
    }
    if (items.length < input.perPage) break;
  }
  return out;
}

/** `value[key]` of a JSON object, or undefined. */
export function field(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

/** A required string field of a forge's answer; ForgeError `invalid-response` when absent. */
export function stringField(value: unknown, path: readonly string[], what: string): string {
  const found = path.reduce<unknown>((current, key) => field(current, key), value);
  if (typeof found !== "string" || found === "")
    throw new ForgeError({
      code: "invalid-response",
      message: `${what}: the answer has no ${path.join(".")}`,
    });
  return found;
}
