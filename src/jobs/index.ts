/**
 * The jobs room: the batch/v1 Job of a session, the step protocol inside it, what a Job and its pod
 * say about the run (observeJob), and the IMS cleanup Job (pure).
 */
export * from "./build-job.js";
export * from "./check-layout.js";
export * from "./check-run-spec.js";
export * from "./constants.js";
export * from "./debug-marker.js";
export * from "./errors.js";
export * from "./ims-cleanup-job.js";
export * from "./image-steps.js";
export * from "./inventory-config-map.js";
export * from "./job-steps.js";
export * from "./observe-job.js";
export * from "./slim-job.js";
export * from "./source-volumes.js";
export * from "./step-message.js";
export * from "./step-log.js";
