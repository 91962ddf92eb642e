/**
 * A run's observation and the only ways it moves: defined in api/observation.ts (pure, shared by
 * every runner and the Job protocol in jobs/); re-exported for this room's importers.
 */
export * from "../../api/observation.js";
