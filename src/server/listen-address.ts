/** The `--listen` address: `:8080`, `8080`, `127.0.0.1:8080`, `[::1]:8080`, `localhost:0`. */

/** Where the HTTP server listens; `host` null means every interface. */
export interface ListenAddress {
  host: string | null;
  port: number;
}

const HOST_PORT = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]*):)?(\d{1,5})$/;

/** Parses a listen address, or returns null when it is not one (the caller says so to the user). */
export function parseListenAddress(text: string): ListenAddress | null {
  const match = HOST_PORT.exec(text.trim());
  if (!match) return null;
  const port = Number(match[2]);
  if (!Number.isInteger(port) || port > 65_535) return null;
  const host = match[1] ?? "";
  if (host === "") return { host: null, port };
  return { host: host.startsWith("[") ? host.slice(1, -1) : host, port };
}

/** The address as a URL authority (`127.0.0.1:8080`, `[::1]:8080`, `:8080`), for logs. */
export function formatListenAddress(address: ListenAddress): string {
  const host = address.host === null ? "" : address.host.includes(":") ? `[${address.host}]` : address.host;
  return `${host}:${address.port}`;
}
