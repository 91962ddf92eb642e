/**
 * JsonWatch's reading of a watch answer, from a local HTTP server that writes the bytes a test
 * chooses (events cut anywhere, a broken line, a refusal); against the real API server, see
 * test/integration/kube/json-requests.test.ts.
 */
import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { KubeConfig } from "@kubernetes/client-node";
import { afterEach, describe, expect, it } from "vitest";
import { JsonWatch, MAX_WATCH_LINE_BYTES } from "../../../../src/runners/kubernetes/json-watch.js";

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await new Promise((resolve) => server.close(resolve));
});

/** A server answering every request with `answer`; resolves to a KubeConfig for it. */
async function serve(answer: (res: ServerResponse) => void): Promise<KubeConfig> {
  const server = createServer((_req, res) => answer(res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return kubeConfigAt(`http://127.0.0.1:${port}`);
}

function kubeConfigAt(server: string): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify: true }],
    users: [{ name: "u", token: "t" }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

/** Runs one watch to its end: the events and how it ended. */
async function watchAll(kubeConfig: KubeConfig): Promise<{ events: Array<[string, unknown]>; end: unknown }> {
  const events: Array<[string, unknown]> = [];
  const end = await new Promise<unknown>((resolve) => {
    void new JsonWatch({ kubeConfig }).watch(
      "/api/v1/pods",
      {},
      (type, object) => events.push([type, object]),
      resolve,
    );
  });
  return { events, end };
}

const event = (type: string, name: string) =>
  JSON.stringify({ type, object: { metadata: { name, managedFields: [{ manager: "m" }] }, note: "é✓" } });

describe("JsonWatch", () => {
  it("reads events however the answer is cut, without their managedFields", async () => {
    const text = `${event("ADDED", "a")}\n\n${event("MODIFIED", "a")}\n${event("DELETED", "a")}\n`;
    const bytes = Buffer.from(text);
    const kubeConfig = await serve((res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      // Cut everywhere, a UTF-8 character and a newline included.
      let at = 0;
      const next = (): void => {
        if (at >= bytes.length) return void res.end();
        const size = 1 + (at % 7);
        res.write(bytes.subarray(at, at + size), next);
        at += size;
      };
      next();
    });
    const { events, end } = await watchAll(kubeConfig);
    expect(end).toBeNull();
    expect(events).toEqual(
      ["ADDED", "MODIFIED", "DELETED"].map((type) => [type, { metadata: { name: "a" }, note: "é✓" }]),
    );
  });

  it("ends with an error at a line that is no event, and delivers nothing after it", async () => {
    const kubeConfig = await serve((res) => {
      res.writeHead(200);
      res.end(`${event("ADDED", "a")}\n<html>proxy error</html>\n${event("ADDED", "b")}\n`);
    });
    const { events, end } = await watchAll(kubeConfig);
    expect(events.map(([, object]) => (object as { metadata: { name: string } }).metadata.name)).toEqual([
      "a",
    ]);
    expect(end).toMatchObject({ name: "WatchError" });
    expect((end as Error).message).toBe(
      'the watch sent a line that is not an event: "<html>proxy error</html>"',
    );
  });

  it("ends with the error of a callback that throws, and calls it no more", async () => {
    const kubeConfig = await serve((res) => {
      res.writeHead(200);
      res.end(`${event("ADDED", "a")}\n${event("ADDED", "b")}\n`);
    });
    const seen: string[] = [];
    const end = await new Promise<unknown>((resolve) => {
      const callback = (type: string) => {
        seen.push(type);
        throw new Error("listener broke");
      };
      void new JsonWatch({ kubeConfig }).watch("/api/v1/pods", {}, callback, resolve);
    });
    expect(seen).toEqual(["ADDED"]);
    expect(end).toMatchObject({ message: "listener broke" });
  });

  it("refuses an event longer than MAX_WATCH_LINE_BYTES", async () => {
    const kubeConfig = await serve((res) => {
      res.writeHead(200);
      res.end(`{"type":"ADDED","object":{"x":"${"y".repeat(MAX_WATCH_LINE_BYTES)}"}}\n`);
    });
    const { events, end } = await watchAll(kubeConfig);
    expect(events).toEqual([]);
    expect((end as Error).message).toBe(`the watch sent an event of more than ${MAX_WATCH_LINE_BYTES} bytes`);
  });

  it("ends a refused watch with its status and the API's message", async () => {
    const kubeConfig = await serve((res) => {
      res.writeHead(410, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ kind: "Status", code: 410, message: "too old resource version: 1 (5)" }));
    });
    const { end } = await watchAll(kubeConfig);
    expect(end).toMatchObject({
      statusCode: 410,
      message: "watch refused: 410 too old resource version: 1 (5)",
    });
  });

  it("ends with the network's error when there is no server, and still resolves", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    const { end } = await watchAll(kubeConfigAt(`http://127.0.0.1:${port}`));
    expect(end).toMatchObject({ code: "ECONNREFUSED" });
  });
});
