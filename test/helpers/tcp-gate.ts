/**
 * A TCP forwarder on a fixed 127.0.0.1 port in front of a test server, that a test can take down
 * (connections refused, open ones cut) and bring back up on the same port: the way a git server
 * that restarts, or a network that drops, looks to a client.
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

/** A running gate. */
export interface TcpGate {
  /** The port clients connect to (the same across down/up). */
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: () => number;
  /** Stop listening and cut every open connection. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/** Starts forwarding a free port to `target` (a port on 127.0.0.1). */
export async function startTcpGate(options: { target: number }): Promise<TcpGate> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const forward = (client: Socket) => {
    accepted += 1;
    const upstream = createConnection({ host: "127.0.0.1", port: options.target });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
      s.on("error", () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  };
  let server: Server | null = createServer(forward);
  const port = await listen(server, 0);
  const cut = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const down = async () => {
    const closing = server;
    server = null;
    if (closing === null) return;
    await new Promise<void>((done) => {
      closing.close(() => done());
      cut();
    });
  };
  return {
    port,
    accepted: () => accepted,
    down,
    up: async () => {
      if (server !== null) return;
      server = createServer(forward);
      await listen(server, port);
    },
    close: down,
  };
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((done, fail) => {
    server.once("error", fail);
    server.listen(port, "127.0.0.1", () => done((server.address() as AddressInfo).port));
  });
}
