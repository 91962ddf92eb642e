/** The container side of the kubernetes runner: what `cfs-gitops step <name>` runs inside a Job. */
export * from "./container-process.js";
export * from "./container-step.js";
export * from "./final-step.js";
export * from "./image-container-steps.js";
export * from "./ims-cleanup-step.js";
export * from "./run-container-step.js";
export * from "./step-config.js";
export * from "./step-results.js";
