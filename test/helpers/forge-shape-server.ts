/**
 * A recorded-shape stand-in for a forge's REST API (GitHub, GitLab: no real one runs here): an
 * HTTP server that knows a list of documented routes, checks every request against its route
 * (method, path, query keys, headers, body fields and their allowed values) and answers with a
 * recorded answer of the documented shape. Whatever does not match is a violation the test fails
 * on; each route names the documentation page it was taken from.
 */
import { createServer, type IncomingMessage } from "node:http";

/** What a documented request body may carry. */
export interface BodyShape {
  required: string[];
  optional?: string[];
  /** Fields whose value must be one of these. */
  enums?: Record<string, string[]>;
}

/** One documented route. */
export interface ShapeRoute {
  method: string;
  /** Matched against the raw path (URL-encoded, without the query). */
  path: RegExp;
  /** The documentation page (cited in the test). */
  doc: string;
  /** Query keys the documentation lists. */
  query?: string[];
  body?: BodyShape;
  answer: (request: ShapeRequest) => { status: number; json?: unknown; headers?: Record<string, string> };
}

/** A request as received. */
export interface ShapeRequest {
  method: string;
  path: string;
  match: RegExpExecArray;
  query: URLSearchParams;
  headers: IncomingMessage["headers"];
  body: Record<string, unknown> | null;
}

/** The running server. */
export interface ShapeServer {
  url: string;
  requests: { method: string; path: string; query: string; body: Record<string, unknown> | null }[];
  /** Every way a request differed from the documentation. */
  violations: string[];
  close(): Promise<void>;
}

/** Starts the server; `headers` returns the violations of one request's headers. */
export async function startShapeServer(input: {
  routes: ShapeRoute[];
  headers: (headers: IncomingMessage["headers"]) => string[];
}): Promise<ShapeServer> {
  const requests: ShapeServer["requests"] = [];
  const violations: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const path = (req.url ?? "/").split("?")[0]!;
      const text = Buffer.concat(chunks).toString("utf8");
      const body = text === "" ? null : (JSON.parse(text) as Record<string, unknown>);
      requests.push({ method: req.method ?? "", path, query: url.search, body });
      const where = `${req.method} ${path}`;
      for (const v of input.headers(req.headers)) violations.push(`${where}: ${v}`);
      const found = findRoute(input.routes, req.method ?? "", path);
      if (!found) {
        violations.push(`${where}: no such documented route`);
        res.writeHead(404, { "content-type": "application/json" }).end('{"message":"Not Found"}');
        return;
      }
      const { route, match } = found;
      violations.push(
        ...checkRequest({ route, query: url.searchParams, body, req }).map((v) => `${where}: ${v}`),
      );
      const answer = route.answer({
        method: req.method ?? "",
        path,
        match,
        query: url.searchParams,
        headers: req.headers,
        body,
      });
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.json === undefined ? "" : JSON.stringify(answer.json));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    violations,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function findRoute(
  routes: ShapeRoute[],
  method: string,
  path: string,
): { route: ShapeRoute; match: RegExpExecArray } | null {
  for (const route of routes) {
    const match = route.method === method ? route.path.exec(path) : null;
    if (match) return { route, match };
  }
  return null;
}

function checkRequest(input: {
  route: ShapeRoute;
  query: URLSearchParams;
  body: Record<string, unknown> | null;
  req: IncomingMessage;
}): string[] {
  const { route, query, body, req } = input;
  const out: string[] = [];
  for (const key of query.keys())
    if (!(route.query ?? []).includes(key)) out.push(`query ${key} is not documented`);
  if (!route.body) {
    if (body !== null) out.push("a body where the documentation has none");
    return out;
  }
  if (!(req.headers["content-type"] ?? "").startsWith("application/json"))
    out.push("body not sent as application/json");
  if (body === null) return [...out, "no body"];
  const allowed = [...route.body.required, ...(route.body.optional ?? [])];
  for (const key of route.body.required) if (!(key in body)) out.push(`body lacks required ${key}`);
  for (const key of Object.keys(body))
    if (!allowed.includes(key)) out.push(`body field ${key} is not documented`);
  for (const [key, values] of Object.entries(route.body.enums ?? {})) {
    if (key in body && !values.includes(String(body[key])))
      out.push(`body ${key}=${String(body[key])} is not one of ${values.join("|")}`);
  }
  return out;
}
