/** The planner room: pure functions from desired, recorded and observed state to actions and records. */
export * from "./decide-failure.js";
export * from "./desired.js";
export * from "./duration.js";
export * from "./fold-results.js";
export * from "./layers.js";
export * from "./plan-pass.js";
export * from "./record-shape.js";
export * from "./records.js";
export * from "./serialize.js";
export * from "./status-message.js";
export * from "./batcher.js";
export * from "./component-base.js";
export * from "./component-state.js";
export * from "./component-status.js";
export * from "./configuration-records.js";
export * from "./finish-batch.js";
export * from "./plan-components.js";
