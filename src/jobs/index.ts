/** The jobs room: the batch/v1 Job of a session and the step protocol inside it (pure). */
export * from "./build-job.js";
export * from "./check-run-spec.js";
export * from "./constants.js";
export * from "./errors.js";
export * from "./image-steps.js";
export * from "./inventory-config-map.js";
export * from "./job-steps.js";
export * from "./step-message.js";
