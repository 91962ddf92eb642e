/** The controller room: the reconcile loop and the state it keeps between passes. */
export * from "./controller.js";
export * from "./recorded-state.js";
export * from "./source-state.js";
