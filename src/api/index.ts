/** The user contract: types and constants shared by every room. */
export * from "./constants.js";
export * from "./manifests.js";
export * from "./records.js";
export * from "./run.js";
export * from "./paths.js";
export * from "./names.js";
export * from "./step-names.js";
export * from "./observation.js";
export * from "./errors.js";
export * from "./url-credentials.js";
