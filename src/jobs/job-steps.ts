/** The ordered steps (containers) of a session's Job, named as in the CFS seeds (DESIGN.md 2.4). */
import { ansibleStepName, cloneStepName, isImageTarget, type RunSpec } from "../api/index.js";
import { STEP_PROGRAM } from "./constants.js";

/** The step kinds, as the `cfs-gitops step <kind>` subcommand takes them. */
export const STEP_KINDS = [
  "git-clone",
  "git-clone-hosts",
  "inventory",
  "ansible",
  "teardown",
  "report",
] as const;

/** What a step does; the `cfs-gitops step <kind>` subcommand that runs it. */
export type StepKind = (typeof STEP_KINDS)[number];

/** One container of the Job's pod. */
export interface JobStep {
  /** Container name: `git-clone-<i>`, `git-clone-hosts`, `inventory`, `ansible-<i>`, `teardown`, `report`. */
  name: string;
  kind: StepKind;
  /** The layer's index in the configuration, for `git-clone-<i>` and `ansible-<i>`; else null. */
  layer: number | null;
  /** Init containers run one after another; the single regular container runs last. */
  init: boolean;
  /** Which image runs it: the step image, or the Ansible execution environment. */
  image: "step" | "ansible";
}

/** The parts of a RunSpec that decide the steps. */
export type StepsInput = Pick<RunSpec, "layers" | "additionalInventory" | "session">;

/**
 * The steps of a run, in the order they run. Every step but the last is an init container that
 * records its result and exits 0 (a failed step makes the later ones skip themselves), so the last
 * one always runs: `teardown` for image targets (it must tell the image service either way),
 * `report` otherwise; it exits non-zero when any step failed, which fails the Job.
 */
export function jobSteps(spec: StepsInput): JobStep[] {
  const clones = spec.layers.map((layer) => layerStep("git-clone", layer.index));
  const hosts = spec.additionalInventory === null ? [] : [fixedStep("git-clone-hosts")];
  const ansible = spec.layers.map((layer) => layerStep("ansible", layer.index));
  const last = isImageTarget(spec) ? "teardown" : "report";
  return [...clones, ...hosts, fixedStep("inventory"), ...ansible, { ...fixedStep(last), init: false }];
}

/** Defined in api/step-names.ts (shared with the other runner); re-exported for this room's importers. */
export { isImageTarget };

/** The container command of a step: `cfs-gitops step <kind> [--layer <i>]`, an argv, never a shell. */
export function stepCommand(step: JobStep): string[] {
  const layer = step.layer === null ? [] : ["--layer", String(step.layer)];
  return [STEP_PROGRAM, "step", step.kind, ...layer];
}

function layerStep(kind: "git-clone" | "ansible", index: number): JobStep {
  return {
    name: kind === "ansible" ? ansibleStepName(index) : cloneStepName(index),
    kind,
    layer: index,
    init: true,
    image: kind === "ansible" ? "ansible" : "step",
  };
}

function fixedStep(kind: "git-clone-hosts" | "inventory" | "teardown" | "report"): JobStep {
  return { name: kind, kind, layer: null, init: true, image: "step" };
}
