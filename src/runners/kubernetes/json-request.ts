/**
 * Requests to the API server in plain JSON, without client-node's typed models: the runner's
 * creates, lists and watches. client-node's ObjectSerializer walks the model metadata of every
 * field of every object, both ways (about 1 ms of CPU for one Job created, as much as the rest of
 * the controller's work when 1,000 sessions start at once); buildJob's Job is already the JSON the
 * API takes, and the runner reads answers as plain JSON anyway (its watched objects always were).
 * Answers are parsed without their managedFields (see managed-fields.ts).
 *
 * Each request is authenticated by the KubeConfig as client-node's own are (bearer tokens read
 * again, exec plugins, client certificates, proxy agents), then sent through the agent `agentFor`
 * picks (the runner's keep-alive one). A status outside 2xx throws client-node's ApiException with
 * the API's Status as its body, so api-errors classes it like any other failure. An answer larger
 * than MAX_ANSWER_BYTES is refused.
 */
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import { ApiException, HttpMethod, RequestContext, type KubeConfig } from "@kubernetes/client-node";
import { withoutManagedFields } from "./managed-fields.js";

/**
 * Largest answer read: a list page of 500 Jobs with 248 KiB run specs is ~125 MiB. A larger one is
 * refused rather than held (V8's longest string is ~512 MiB).
 */
export const MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** Asks for the created object's metadata only (the API server's PartialObjectMetadata), else all of it. */
export const ACCEPT_METADATA =
  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

/** What to send. */
export interface JsonRequest {
  method: "GET" | "POST";
  /** Path below the cluster's server URL, such as `/apis/batch/v1/namespaces/ns/jobs`. */
  path: string;
  query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** The object to send (POST). */
  body?: unknown;
  /** The Accept header; default `application/json`. */
  accept?: string;
}

/** How requests reach the API server. */
export interface JsonRequestOptions {
  kubeConfig: KubeConfig;
  /** The agent to send through, given the one the KubeConfig made (default: that one). */
  agentFor?: (made: HttpAgent) => HttpAgent;
}

/** A request ready to send: its URL, headers and agent, and the module that sends it. */
export interface PreparedRequest {
  url: string;
  headers: Record<string, string>;
  agent: HttpAgent | undefined;
  send: typeof httpsRequest;
}

/** Sends the request; resolves to the parsed answer, or throws ApiException for a status outside 2xx. */
export async function requestJson(request: JsonRequest, options: JsonRequestOptions): Promise<unknown> {
  const prepared = await prepareRequest(request, options);
  const body = request.body === undefined ? null : Buffer.from(JSON.stringify(request.body));
  const headers = {
    ...prepared.headers,
    ...(body === null ? {} : { "Content-Type": "application/json", "Content-Length": String(body.length) }),
  };
  const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const agent = prepared.agent === undefined ? {} : { agent: prepared.agent };
    const req = prepared.send(prepared.url, { method: request.method, headers, ...agent }, (res) => {
      readAnswer(res).then(resolve, reject);
    });
    req.on("error", reject);
    req.end(body ?? undefined);
  });
  const parsed = parseAnswer(answer.text);
  if (answer.status < 200 || answer.status > 299)
    throw new ApiException(answer.status, `${request.method} ${request.path}`, parsed, {});
  return parsed;
}

/** Authenticates the request as the KubeConfig says and picks its agent. */
export async function prepareRequest(
  request: Pick<JsonRequest, "method" | "path" | "query" | "accept">,
  options: JsonRequestOptions,
): Promise<PreparedRequest> {
  const cluster = options.kubeConfig.getCurrentCluster();
  if (cluster === null) throw new Error("No active cluster!");
  const url = new URL(cluster.server + request.path);
  for (const [key, value] of Object.entries(request.query ?? {}))
    if (value !== undefined) url.searchParams.set(key, String(value));
  const context = new RequestContext(url.toString(), HttpMethod[request.method]);
  await options.kubeConfig.applySecurityAuthentication(context);
  const made = context.getAgent() as HttpAgent | undefined;
  return {
    url: context.getUrl(),
    headers: { ...context.getHeaders(), Accept: request.accept ?? "application/json" },
    agent: made === undefined || options.agentFor === undefined ? made : options.agentFor(made),
    send: url.protocol === "http:" ? httpRequest : httpsRequest,
  };
}

async function readAnswer(res: IncomingMessage): Promise<{ status: number; text: string }> {
  return { status: res.statusCode ?? 0, text: await readText(res, MAX_ANSWER_BYTES) };
}

/** The whole body as text; throws (and drops the connection) past `maxBytes`. */
export async function readText(res: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > maxBytes) {
      res.destroy();
      throw new Error(`the API server answered more than ${maxBytes} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The answer as JSON without managedFields, or its text when it is not JSON (a proxy's error page). */
export function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(withoutManagedFields(text)) as unknown;
  } catch {
    return text;
  }
}
