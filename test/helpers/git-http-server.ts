/**
 * A real smart-HTTP git server for tests: Node's http server on 127.0.0.1 (random port) running
 * `git http-backend` as a CGI for the repositories under `root`, optionally behind HTTP basic
 * auth. Every request is recorded so tests can count what a poll or a fetch cost.
 */
import { spawn } from "node:child_process";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. `/repo.git/info/refs`. */
  path: string;
  /** `git-upload-pack`, `git-receive-pack`, or "" */
  service: string;
  status: number;
  authorization: string | null;
}

/** A running server. */
export interface GitHttpServer {
  /** `http://127.0.0.1:<port>/<name>` */
  url(name: string): string;
  readonly requests: RecordedRequest[];
  /** Forget the recorded requests. */
  reset(): void;
  /** Change (or with null, drop) the credentials the server requires. */
  setAuth(auth: { username: string; password: string } | null): void;
  close(): Promise<void>;
}

/** Start a server for the repositories under `root`. */
export async function startGitHttpServer(options: {
  root: string;
  auth?: { username: string; password: string };
}): Promise<GitHttpServer> {
  const requests: RecordedRequest[] = [];
  let auth = options.auth ?? null;
  const expectedHeader = () =>
    auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString("base64")}` : null;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const record: RecordedRequest = {
      method: req.method ?? "GET",
      path: url.pathname,
      service: url.searchParams.get("service") ?? url.pathname.split("/").pop() ?? "",
      status: 0,
      authorization: req.headers.authorization ?? null,
    };
    if (!record.service.startsWith("git-")) record.service = "";
    requests.push(record);
    const expected = expectedHeader();
    if (expected !== null && req.headers.authorization !== expected) {
      record.status = 401;
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"', "Content-Type": "text/plain" });
      res.end("authentication required\n");
      req.resume();
      return;
    }
    runBackend({ req, res, url, root: options.root, record, user: auth?.username ?? null });
  });
  server.keepAliveTimeout = 1_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (name) => `http://127.0.0.1:${port}/${name}`,
    requests,
    reset: () => {
      requests.length = 0;
    },
    setAuth: (next) => {
      auth = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function runBackend(input: {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  root: string;
  record: RecordedRequest;
  user: string | null;
}): void {
  const { req, res, url, root, record, user } = input;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env["PATH"],
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: "1",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: "http.receivepack",
    GIT_CONFIG_VALUE_0: "true",
    REQUEST_METHOD: req.method ?? "GET",
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.slice(1),
    CONTENT_TYPE: req.headers["content-type"] ?? "",
    REMOTE_ADDR: "127.0.0.1",
    SERVER_PROTOCOL: "HTTP/1.1",
  };
  if (user !== null) env["REMOTE_USER"] = user;
  if (req.headers["content-length"]) env["CONTENT_LENGTH"] = req.headers["content-length"];
  if (req.headers["content-encoding"]) env["HTTP_CONTENT_ENCODING"] = req.headers["content-encoding"];
  const protocol = req.headers["git-protocol"];
  if (typeof protocol === "string") env["GIT_PROTOCOL"] = protocol;
  const child = spawn("git", ["http-backend"], { env, stdio: ["pipe", "pipe", "pipe"] });
  req.pipe(child.stdin);
  child.stdin.on("error", () => undefined);
  child.stderr.resume();
  let head = Buffer.alloc(0);
  let headersSent = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) {
      res.write(chunk);
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersSent = true;
    const { status, headers } = parseCgiHeaders(head.subarray(0, end).toString("latin1"));
    record.status = status;
    res.writeHead(status, headers);
    res.write(head.subarray(end + 4));
  });
  child.on("close", () => {
    if (!headersSent) {
      record.status = 500;
      res.writeHead(500);
    }
    res.end();
  });
}

function parseCgiHeaders(text: string): { status: number; headers: Record<string, string> } {
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else headers[name] = value;
  }
  return { status, headers };
}
