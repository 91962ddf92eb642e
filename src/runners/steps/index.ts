/**
 * The parts of a session's pipeline shared by every runner (the local runner runs them in process;
 * the kubernetes runner's `cfs-gitops step <name>` containers run the same functions). Pure, except
 * the clone steps (git through the CloneIo their runner passes in), the inventory and image steps
 * (files in the work directory; the image service passed in) and notifyListeners (the logger).
 */
export * from "./ansible-argv.js";
export * from "./ansible-config.js";
export * from "./build-inventory.js";
export * from "./observation.js";
export * from "./parse-recap.js";
export * from "./reasons.js";
export * from "./step-names.js";
export * from "./work-layout.js";
export * from "./write-json-atomic.js";
export * from "./ansible-run.js";
export * from "./clone-steps.js";
export * from "./inventory-files.js";
export * from "./image-session.js";
export * from "./image-steps.js";
export * from "./notify-listeners.js";
export * from "./step-env.js";
export * from "./passthrough-files.js";
export * from "./playbook-in-clone.js";
