/** The CFS v3 REST API over Git. */
export * from "./api-error.js";
export * from "./api-jwt.js";
export * from "./api-repo.js";
export * from "./api-router.js";
export * from "./api-server.js";
export * from "./api-tokens.js";
export * from "./json-body.js";
export * from "./meta-api.js";
export * from "./session-create-body.js";
export * from "./sessions-api.js";
export * from "./configurations-api.js";
export * from "./components-api.js";
export * from "./options-api.js";
export * from "./write-rate-limiter.js";
export * from "./sources-api.js";
export * from "./write-queue.js";
