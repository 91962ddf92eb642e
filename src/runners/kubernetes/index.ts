/** The kubernetes runner: one batch/v1 Job per session, observed through informers. */
export * from "./api-errors.js";
export * from "./create-kubernetes-runner.js";
export * from "./informer.js";
export * from "./json-request.js";
export * from "./json-watch.js";
export * from "./keep-alive-clients.js";
export * from "./token-bucket.js";
