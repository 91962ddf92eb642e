/**
 * API clients whose requests share keep-alive connections. client-node 1.x builds a new
 * `https.Agent` for every request (`KubeConfig.applySecurityAuthentication`), so every create,
 * delete, list and log read opened its own TCP connection and TLS handshake and closed it after
 * one answer (kubernetes-client/javascript#2893). These clients let the KubeConfig authenticate
 * each request as before (bearer tokens read again, exec plugins, client certificates), then send
 * it through one keep-alive agent made from that same TLS material; a new agent is made when the
 * material changes (a rotated client certificate). Proxy agents are left as the KubeConfig made
 * them.
 *
 * No `maxSockets`: the callers bound what is in flight (the controller's start concurrency, the
 * rate limiter), and node-fetch 2 (client-node's fetch) misreads a keep-alive socket handed
 * straight to a request queued in the agent as a "Premature close" (node-fetch#1767).
 */
import type { Agent as HttpAgent } from "node:http";
import { Agent, type AgentOptions } from "node:https";
import {
  createConfiguration,
  ServerConfiguration,
  type Configuration,
  type KubeConfig,
  type RequestContext,
} from "@kubernetes/client-node";

/** Idle connections kept per agent (above the runner's 16 creates in flight and its log reads). */
export const MAX_FREE_SOCKETS = 32;

/** The TLS settings an agent is made from; two requests with equal ones share a connection. */
const TLS_KEYS = [
  "ca",
  "cert",
  "key",
  "pfx",
  "passphrase",
  "rejectUnauthorized",
  "servername",
  "ciphers",
  "crl",
] as const satisfies ReadonlyArray<keyof AgentOptions>;

/** An API class of client-node (BatchV1Api, CoreV1Api, ...). */
export type ApiClass<T> = new (configuration: Configuration) => T;

/** Makes API clients sharing keep-alive agents; close() ends their connections. */
export class KeepAliveClients {
  private agents: Agent[] = [];

  constructor(private readonly kubeConfig: KubeConfig) {}

  /** Like `KubeConfig.makeApiClient`, with keep-alive connections. */
  makeApiClient<T>(apiClass: ApiClass<T>): T {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error("No active cluster!");
    const authenticate = {
      getName: () => "keep-alive",
      applySecurityAuthentication: (context: RequestContext) => this.authenticate(context),
    };
    const configuration = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: authenticate },
    });
    return new apiClass(configuration);
  }

  /** How many agents were made (one, unless the TLS material changed). */
  get agentCount(): number {
    return this.agents.length;
  }

  /** Closes every connection, idle or not. */
  close(): void {
    for (const agent of this.agents.splice(0)) agent.destroy();
  }

  private async authenticate(context: RequestContext): Promise<void> {
    await this.kubeConfig.applySecurityAuthentication(context);
    const made = context.getAgent();
    if (made !== undefined) context.setAgent(this.agentFor(made));
  }

  /**
   * The agent to send a request through, given the one the KubeConfig made for it: the kept
   * keep-alive agent with the same TLS settings (made if there is none); any other agent (a
   * proxy's) as it is.
   */
  agentFor(made: HttpAgent): HttpAgent {
    return made instanceof Agent && made.constructor === Agent ? this.keptLike(made) : made;
  }

  /** The kept keep-alive agent with the TLS settings of `made`, made if there is none. */
  private keptLike(made: Agent): Agent {
    const kept = this.agents.find((agent) => sameTls(agent.options, made.options));
    if (kept !== undefined) return kept;
    const agent = new Agent({ ...made.options, keepAlive: true, maxFreeSockets: MAX_FREE_SOCKETS });
    this.agents.push(agent);
    return agent;
  }
}

/** Whether two agents' TLS settings are the same (PEM buffers compared by content). */
export function sameTls(a: AgentOptions, b: AgentOptions): boolean {
  return TLS_KEYS.every((key) => sameValue(a[key], b[key]));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  return a === b;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
