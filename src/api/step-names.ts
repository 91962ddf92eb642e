/**
 * The names of a session's steps (DESIGN.md 2.4), the same for every runner: the kubernetes Job's
 * containers (jobs/) and the local runner's pipeline (runners/steps/) both name them from here.
 */
import type { AdditionalInventory, WithCloneUrl } from "./manifests.js";
import type { PlannedLayer, RunSpec } from "./run.js";

/** The name of the step that clones layer `index`. */
export function cloneStepName(index: number): string {
  return `git-clone-${index}`;
}

/** The name of the step that runs the playbook of layer `index`. */
export function ansibleStepName(index: number): string {
  return `ansible-${index}`;
}

/** Whether the session customizes images (target definition `image`, so it has a `teardown` step). */
export function isImageTarget(spec: Pick<RunSpec, "session">): boolean {
  return spec.session.target?.definition === "image";
}

/** One step of a session's pipeline, with what it works on. */
export type PlannedStep =
  | { name: string; kind: "git-clone"; layer: PlannedLayer }
  | { name: "git-clone-hosts"; kind: "git-clone-hosts"; inventory: WithCloneUrl<AdditionalInventory> }
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
