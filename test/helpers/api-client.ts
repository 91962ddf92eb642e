/**
 * A client of the REST API that speaks like `cray`: HTTPS (certificate checks off unless a CA is
 * given), a bearer token, JSON bodies. Answers with the status, headers and parsed body.
 */
import { request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { request as httpsRequest } from "node:https";

/** One call. */
export interface ApiCall {
  /** Base URL of the server (`https://127.0.0.1:port`). */
  url: string;
  method?: string;
  /** Path and query, e.g. `/apis/cfs/v3/sessions?status=complete`. */
  path: string;
  token?: string | null;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is (instead of `body`). */
  raw?: string | Buffer;
  /** Trust this CA (PEM) and check the certificate; without it, checks are off as `cray` does it. */
  ca?: string;
}

/** What the server answered. */
export interface ApiAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The parsed body (null when empty or not JSON). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read answer bodies freely
  json: any;
}

/** Calls the API once. */
export function callApi(call: ApiCall): Promise<ApiAnswer> {
  const target = new URL(call.path, call.url);
  const payload = call.raw ?? (call.body === undefined ? undefined : JSON.stringify(call.body));
  const headers: Record<string, string> = { accept: "application/json" };
  if (call.token) headers["authorization"] = `Bearer ${call.token}`;
  if (payload !== undefined) headers["content-type"] = "application/json";
  const send = target.protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: call.method ?? "GET",
        headers,
        ...(target.protocol === "https:"
          ? call.ca
            ? { ca: call.ca, rejectUnauthorized: true }
            : { rejectUnauthorized: false }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          const json = parseJson(text);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

function parseJson(text: string): unknown {
  try {
    return text === "" ? null : JSON.parse(text);
  } catch {
    return null;
  }
}
