/**
 * The names of a session's steps (DESIGN.md 2.4), the same for every runner: the kubernetes Job's
 * containers (jobs/) and the local runner's pipeline (runners/steps/) both name them from here.
 */
import type { RunSpec } from "./run.js";

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
