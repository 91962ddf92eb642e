/** The server room: health, readiness, metrics, the push webhook receiver, and leader election. */
export * from "./decide-webhook.js";
export * from "./http-server.js";
export * from "./instrument.js";
export * from "./kube-lease-client.js";
export * from "./leader-election.js";
export * from "./listen-address.js";
export * from "./metrics.js";
export * from "./readiness.js";
export * from "./supervisor.js";
export * from "./webhook-payload.js";
export * from "./webhook-signature.js";
