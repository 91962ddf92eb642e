/**
 * The log half of a kubelet, for `kubectl logs` through the real API server: a Node object whose
 * address and kubelet port point at a small HTTPS server on loopback that answers the API server's
 * `GET /containerLogs/<namespace>/<pod>/<container>` with what the test says the container printed.
 * Pods are bound to that Node through the `binding` subresource, as the scheduler would. The API
 * server is given no kubelet CA, so it accepts this server's certificate (as a cluster without
 * --kubelet-certificate-authority does).
 */
import { mkdir, readFile } from "node:fs/promises";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import type { CoreV1Api } from "@kubernetes/client-node";
import { writeKubePki } from "./kube-pki.js";

/** A running log kubelet. */
export interface LogKubelet {
  /** The Node's name. */
  node: string;
  /** What each container printed, by `<namespace>/<pod>/<container>`; a missing one answers 404. */
  logs: Map<string, string>;
  /** The log requests the API server forwarded (`<namespace>/<pod>/<container>`). */
  requests: string[];
  /** Binds `pod` to this Node (once per pod, before its logs are read). */
  bind(namespace: string, pod: string): Promise<void>;
  close(): Promise<void>;
}

let nodes = 0;

/** Starts the server and registers its Node. */
export async function startLogKubelet(input: { core: CoreV1Api; dir: string }): Promise<LogKubelet> {
  await mkdir(input.dir, { recursive: true });
  const pki = await writeKubePki(input.dir);
  const logs = new Map<string, string>();
  const requests: string[] = [];
  const server = createServer(
    { key: await readFile(pki.servingKeyPath), cert: await readFile(pki.servingCertPath) },
    (req, res) => {
      const match = /^\/containerLogs\/([^/]+)\/([^/]+)\/([^/?]+)/.exec(req.url ?? "");
      const key = match === null ? "" : `${match[1]}/${match[2]}/${match[3]}`;
      requests.push(key);
      const text = logs.get(key);
      res.writeHead(text === undefined ? 404 : 200, { "content-type": "text/plain" });
      res.end(text ?? "no such container\n");
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  nodes += 1;
  const node = `log-kubelet-${process.pid}-${nodes}`;
  await registerNode(input.core, node, port);
  return {
    node,
    logs,
    requests,
    bind: (namespace, pod) =>
      input.core
        .createNamespacedBinding({
          namespace,
          body: { metadata: { name: pod }, target: { apiVersion: "v1", kind: "Node", name: node } },
        })
        .then(() => undefined),
    close: async () => {
      await closeServer(server);
      await input.core.deleteNode({ name: node }).catch(() => undefined);
    },
  };
}

async function registerNode(core: CoreV1Api, name: string, port: number): Promise<void> {
  const created = await core.createNode({ body: { metadata: { name } } });
  await core.replaceNodeStatus({
    name,
    body: {
      ...created,
      status: {
        addresses: [{ type: "InternalIP", address: "127.0.0.1" }],
        daemonEndpoints: { kubeletEndpoint: { Port: port } },
      },
    },
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
