/**
 * A fault-injecting HTTPS proxy in front of a real kube-apiserver: while a burst is on, each request
 * is (by a seeded draw) answered 503 with a Kubernetes Status, or has its connection dropped, or is
 * passed through; the start of a burst also cuts every open connection (watches included). A burst
 * with `only` is targeted: it touches only the requests `only` picks, and cuts nothing. Its own
 * CA and serving certificate for 127.0.0.1 are fresh, so clients trust it through a kubeconfig.
 */
import { readFile } from "node:fs/promises";
import { createServer, request, type Server } from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { writeKubePki } from "./kube-pki.js";

/** What a burst does to each request (probabilities; the rest pass through). */
export interface FaultBurst {
  errorRate: number;
  dropRate: number;
  /** The requests the burst touches (default every one); the others pass through. */
  only?: (request: { method: string; path: string }) => boolean;
}

/** What the proxy did so far. */
export interface FaultProxyStats {
  requests: number;
  forwarded: number;
  injected503: number;
  dropped: number;
  /** TCP connections clients opened to the proxy. */
  connections: number;
  /** The most requests in flight at once, watches not counted. */
  maxInFlight: number;
}

/** A running proxy. */
export interface KubeFaultProxy {
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** The CA (PEM) of its serving certificate. */
  caPem: string;
  /** Starts a burst (cutting open connections), or ends it with null. */
  setBurst(burst: FaultBurst | null): void;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

/** Options of startKubeFaultProxy. */
export interface KubeFaultProxyOptions {
  /** The API server, `https://127.0.0.1:<port>`. */
  target: string;
  /** The CA that signed the API server's certificate. */
  targetCaPem: string;
  /** A folder for the proxy's keys. */
  dir: string;
  /** Draws in [0, 1): seeded, so a burst is reproducible. */
  random: () => number;
}

/** Starts the proxy on a free port of 127.0.0.1. */
export async function startKubeFaultProxy(options: KubeFaultProxyOptions): Promise<KubeFaultProxy> {
  const pki = await writeKubePki(options.dir);
  const [cert, key] = await Promise.all([readFile(pki.servingCertPath), readFile(pki.servingKeyPath)]);
  const stats: FaultProxyStats = {
    requests: 0,
    forwarded: 0,
    injected503: 0,
    dropped: 0,
    connections: 0,
    maxInFlight: 0,
  };
  let inFlight = 0;
  const sockets = new Set<Socket>();
  let burst: FaultBurst | null = null;
  const target = new URL(options.target);
  const server: Server = createServer({ cert, key }, (req, res) => {
    stats.requests += 1;
    if (!(req.url ?? "").includes("watch=true")) {
      inFlight += 1;
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight);
      res.once("close", () => (inFlight -= 1));
    }
    const touched = burst?.only?.({ method: req.method ?? "", path: req.url ?? "" }) ?? true;
    const draw = burst === null || !touched ? 1 : options.random();
    if (burst !== null && draw < burst.dropRate) {
      stats.dropped += 1;
      req.socket.destroy();
    } else if (burst !== null && draw < burst.dropRate + burst.errorRate) {
      stats.injected503 += 1;
      unavailable(res);
    } else {
      stats.forwarded += 1;
      forward({ req, res, target, ca: options.targetCaPem, sockets });
    }
  });
  // Every TCP connection, tracked from its start (not once TLS is up), so close() and a burst cut
  // connections still in their handshake too.
  server.on("connection", (socket: Socket) => {
    stats.connections += 1;
    track(sockets, socket);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const { port } = server.address() as AddressInfo;
  return {
    server: `https://127.0.0.1:${port}`,
    caPem: pki.caPem,
    setBurst: (next) => {
      burst = next;
      if (next !== null && next.only === undefined) for (const socket of sockets) socket.destroy();
    },
    stats: () => ({ ...stats }),
    close: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        for (const socket of sockets) socket.destroy();
      }),
  };
}

function track(sockets: Set<Socket>, socket: Socket): void {
  sockets.add(socket);
  socket.on("close", () => sockets.delete(socket));
}

function unavailable(res: ServerResponse): void {
  const status = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message: "injected by the fault proxy",
    reason: "ServiceUnavailable",
    code: 503,
  };
  res.writeHead(503, { "content-type": "application/json" });
  res.end(JSON.stringify(status));
}

function forward(input: {
  req: IncomingMessage;
  res: ServerResponse;
  target: URL;
  ca: string;
  sockets: Set<Socket>;
}): void {
  const { req, res, target } = input;
  const upstream = request(
    {
      host: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers: { ...req.headers, host: target.host },
      ca: input.ca,
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    },
  );
  upstream.on("socket", (socket: Socket) => track(input.sockets, socket));
  upstream.on("error", () => res.destroy());
  req.on("error", () => upstream.destroy());
  res.on("close", () => upstream.destroy());
  req.pipe(upstream);
}
