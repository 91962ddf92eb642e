/**
 * Asks a remote for one branch's tip as cheaply as possible: in-process with isomorphic-git
 * (protocol v1 ref advertisement: one GET, credentials sent up front so there is no 401 round
 * trip). If the in-process client cannot reach the server at all (a proxy or a private CA that
 * only git's own config knows), that call falls back to `git ls-remote`; when git got through,
 * the probe keeps using git for a while (`inProcessRetryMs`), then tries in-process again, so one
 * network blip does not decide for the life of the process.
 */
import type { GitHttpRequest, GitHttpResponse, HttpClient } from "isomorphic-git";
import type { Logger } from "pino";
import { basicAuthValue, credentialEnv, credentialSecrets, type Credentials } from "./credentials.js";
import { toRemoteError } from "./remote-errors.js";
import { runGit } from "./run-git.js";

const DEFAULT_PROBE_TIMEOUT_MS = 30_000;
const DEFAULT_IN_PROCESS_RETRY_MS = 10 * 60_000;

/** Options of `createRemoteProbe`. */
export interface RemoteProbeOptions {
  /** Remote URL without credentials. */
  url: string;
  credentials: Credentials | null;
  log: Logger;
  timeoutMs?: number;
  /** After git got through where the in-process client could not, how long to use git alone (default 10 min). */
  inProcessRetryMs?: number;
  /** The clock (milliseconds since the epoch); default Date.now. */
  now?: () => number;
}

/** Reads the tip of a branch on the remote; null when the branch does not exist there. */
export type RemoteProbe = (branch: string, signal?: AbortSignal) => Promise<string | null>;

/** Build a probe for one remote. Errors are GitAuthError (refused credentials) or GitFetchError. */
export function createRemoteProbe(options: RemoteProbeOptions): RemoteProbe {
  const { url, credentials, log } = options;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  const secrets = credentialSecrets(credentials);
  const context = { operation: "ls-refs", url, secrets };
  const now = options.now ?? Date.now;
  const retryMs = options.inProcessRetryMs ?? DEFAULT_IN_PROCESS_RETRY_MS;
  /** Until when git alone is used (after it got through where the in-process client did not). */
  let cliUntil = Number.NEGATIVE_INFINITY;
  return async (branch, signal) => {
    const query = { url, ref: `refs/heads/${branch}`, credentials, timeoutMs, signal };
    // Only http(s) has an in-process client; a path, file:// or ssh remote (a clone's) is git's.
    if (now() < cliUntil || !/^https?:\/\//i.test(url)) return cliTip(query).catch(rethrow);
    try {
      return await inProcessTip(query);
    } catch (error) {
      if (isHttpAnswer(error)) throw toRemoteError(error, context);
      const tip = await cliTip(query).catch(rethrow);
      log.info(
        { err: toRemoteError(error, context).message, retryInMs: retryMs },
        "in-process ref listing failed where git ls-remote worked; using git ls-remote for a while",
      );
      cliUntil = now() + retryMs;
      return tip;
    }
  };

  function rethrow(error: unknown): never {
    throw toRemoteError(error, context);
  }
}

interface TipQuery {
  url: string;
  ref: string;
  credentials: Credentials | null;
  timeoutMs: number;
  signal: AbortSignal | undefined;
}

async function inProcessTip(query: TipQuery): Promise<string | null> {
  const headers: Record<string, string> = {};
  if (query.credentials) headers["Authorization"] = basicAuthValue(query.credentials);
  // Loaded on first use: a large module that only commands asking a remote need (not `--help`,
  // nor a command on a local repository).
  const { listServerRefs } = await import("isomorphic-git");
  const refs = await listServerRefs({
    http: fetchHttpClient({ timeoutMs: query.timeoutMs, signal: query.signal }),
    url: query.url,
    headers,
    protocolVersion: 1,
    prefix: query.ref,
  });
  return refs.find((entry) => entry.ref === query.ref)?.oid ?? null;
}

async function cliTip(query: TipQuery): Promise<string | null> {
  const { stdout } = await runGit({
    args: ["ls-remote", "--refs", query.url, query.ref],
    env: credentialEnv(query.credentials, query.url),
    timeoutMs: query.timeoutMs,
    secrets: credentialSecrets(query.credentials),
    ...(query.signal ? { signal: query.signal } : {}),
  });
  for (const line of stdout.toString("utf8").split("\n")) {
    const [oid, name] = line.split("\t");
    if (name === query.ref && oid) return oid;
  }
  return null;
}

/** An isomorphic-git HttpError: the server answered (so the network path works). */
function isHttpAnswer(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "HttpError";
}

/** isomorphic-git's HttpClient on Node's fetch, with a timeout and an abort signal. */
export function fetchHttpClient(options: { timeoutMs: number; signal: AbortSignal | undefined }): HttpClient {
  return {
    async request(request: GitHttpRequest): Promise<GitHttpResponse> {
      const signals = [AbortSignal.timeout(options.timeoutMs)];
      if (options.signal) signals.push(options.signal);
      const method = request.method ?? "GET";
      const body = request.body ? Buffer.concat(await collect(request.body)) : null;
      const response = await fetch(request.url, {
        method,
        headers: request.headers ?? {},
        body,
        signal: AbortSignal.any(signals),
      });
      return {
        url: response.url,
        method,
        statusCode: response.status,
        statusMessage: response.statusText,
        headers: Object.fromEntries(response.headers.entries()),
        body: streamBody(response.body),
      };
    },
  };
}

async function collect(body: AsyncIterableIterator<Uint8Array>): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return chunks;
}

async function* streamBody(body: ReadableStream<Uint8Array> | null): AsyncIterableIterator<Uint8Array> {
  if (!body) return;
  for await (const chunk of body) yield chunk;
}
