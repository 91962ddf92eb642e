/**
 * Binding a Node HTTP(S) server to a listen address, the same way for every listener of the
 * controller (health and webhooks, the REST API): listen, log where, and close with its connections.
 */
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { formatListenAddress, type ListenAddress } from "./listen-address.js";

/** A bound server. */
export interface ListeningServer {
  readonly port: number;
  /** `<scheme>://<host>:<port>` for a client on this machine. */
  readonly url: string;
  close(): Promise<void>;
}

/** Listens on `listen`, resolves once the port is bound, and logs `message` with the address. */
export async function listenServer(input: {
  server: Server;
  listen: ListenAddress;
  scheme: "http" | "https";
  log: Logger;
  message: string;
  /** More fields of the log line. */
  fields?: Record<string, unknown>;
}): Promise<ListeningServer> {
  const { server, listen, log } = input;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(listen.port, listen.host ?? undefined, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = listen.host ?? "127.0.0.1";
  const url = `${input.scheme}://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info({ listen: formatListenAddress({ host: listen.host, port }), ...input.fields }, input.message);
  return {
    port,
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
