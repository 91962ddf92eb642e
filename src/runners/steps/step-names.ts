/**
 * The steps of a session (DESIGN.md 2.4): defined in api/step-names.ts, so the pure Job protocol
 * (jobs/) and every runner name them from one place; re-exported for this room's importers.
 */
export {
  ansibleStepName,
  cloneStepName,
  isImageTarget,
  planSteps,
  stepNames,
  type PlannedStep,
} from "../../api/step-names.js";
