/** The steps of a session (DESIGN.md 2.4): the same names for every runner. */
import {
  ansibleStepName,
  cloneStepName,
  isImageTarget,
  type AdditionalInventory,
  type PlannedLayer,
  type RunSpec,
} from "../../api/index.js";

/** Defined in api/step-names.ts (shared with the other runner); re-exported for this room's importers. */
export { ansibleStepName, cloneStepName, isImageTarget };

/** One step of a session's pipeline, with what it works on. */
export type PlannedStep =
  | { name: string; kind: "git-clone"; layer: PlannedLayer }
  | { name: "git-clone-hosts"; kind: "git-clone-hosts"; inventory: AdditionalInventory }
  | { name: "inventory"; kind: "inventory" }
  | { name: string; kind: "ansible"; layer: PlannedLayer }
  | { name: "teardown"; kind: "teardown" };

/**
 * The steps of a session in the order they run: `git-clone-<i>` per layer, `git-clone-hosts` when
 * the configuration has additional inventory, `inventory`, `ansible-<i>` per layer, and `teardown`
 * for image targets. `i` is the layer's index in the configuration, kept under a configuration.limit.
 */
export function planSteps(spec: RunSpec): PlannedStep[] {
  const steps: PlannedStep[] = spec.layers.map((layer) => ({
    name: cloneStepName(layer.index),
    kind: "git-clone" as const,
    layer,
  }));
  if (spec.additionalInventory !== null) {
    steps.push({ name: "git-clone-hosts", kind: "git-clone-hosts", inventory: spec.additionalInventory });
  }
  steps.push({ name: "inventory", kind: "inventory" });
  for (const layer of spec.layers) {
    steps.push({ name: ansibleStepName(layer.index), kind: "ansible", layer });
  }
  if (isImageTarget(spec)) steps.push({ name: "teardown", kind: "teardown" });
  return steps;
}

/** The step names of a session in order (`git-clone-0`, ..., `inventory`, `ansible-0`, ...). */
export function stepNames(spec: RunSpec): string[] {
  return planSteps(spec).map((step) => step.name);
}
