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

/**
 * The two pod layouts of the CFS seeds. `cfs` (seed 000, today's CFS): one `git-clone` container
 * clones every layer and the additional inventory, `inventory`, one `ansible` container runs every
 * layer in order, `teardown` for image targets. `per-layer` (seed 001, CFS before 2023):
 * `git-clone-<i>`, `git-clone-hosts`, `inventory`, `ansible-<i>`, then `teardown` or `report`.
 */
export const JOB_LAYOUTS = ["cfs", "per-layer"] as const;

/** One of JOB_LAYOUTS. */
export type JobLayout = (typeof JOB_LAYOUTS)[number];

/** The layout of buildJob and jobSteps when none is given (the CLI's `--job-layout` defaults to `cfs`). */
export const DEFAULT_LIBRARY_JOB_LAYOUT: JobLayout = "per-layer";

/** One container of the Job's pod. */
export interface JobStep {
  /** Container name: `git-clone[-<i>]`, `git-clone-hosts`, `inventory`, `ansible[-<i>]`, `teardown`, `report`. */
  name: string;
  kind: StepKind;
  /**
   * The layer's index in the configuration, for `git-clone-<i>` and `ansible-<i>`; null for the
   * other steps, and for `git-clone` and `ansible` of the `cfs` layout, which do every layer.
   */
  layer: number | null;
  /** Init containers run one after another; the regular container runs last. */
  init: boolean;
  /** Which image runs it: the step image, or the Ansible execution environment. */
  image: "step" | "ansible";
}

/** The parts of a RunSpec that decide the steps. */
export type StepsInput = Pick<RunSpec, "layers" | "additionalInventory" | "session">;

/**
 * The steps of a run, in the order they run. Every step but the last is an init container that
 * records its result and exits 0 (a failed step makes the later ones skip themselves), so the last
 * one always runs: `teardown` for image targets (it must tell the image service either way), else
 * `report` (per-layer layout) or `ansible` (cfs layout); it exits non-zero when any step failed,
 * which fails the Job.
 */
export function jobSteps(spec: StepsInput, layout: JobLayout = DEFAULT_LIBRARY_JOB_LAYOUT): JobStep[] {
  return layout === "cfs" ? cfsSteps(spec) : perLayerSteps(spec);
}

function perLayerSteps(spec: StepsInput): JobStep[] {
  const clones = spec.layers.map((layer) => layerStep("git-clone", layer.index));
  const hosts = spec.additionalInventory === null ? [] : [fixedStep("git-clone-hosts")];
  const ansible = spec.layers.map((layer) => layerStep("ansible", layer.index));
  const last = isImageTarget(spec) ? "teardown" : "report";
  return [...clones, ...hosts, fixedStep("inventory"), ...ansible, { ...fixedStep(last), init: false }];
}

/** Seed 000: `git-clone`, `inventory`, `ansible` (last, unless an image target's `teardown` follows). */
function cfsSteps(spec: StepsInput): JobStep[] {
  const image = isImageTarget(spec);
  const clone: JobStep = { name: "git-clone", kind: "git-clone", layer: null, init: true, image: "step" };
  const ansible: JobStep = { name: "ansible", kind: "ansible", layer: null, init: image, image: "ansible" };
  const teardown = image ? [{ ...fixedStep("teardown"), init: false }] : [];
  return [clone, fixedStep("inventory"), ansible, ...teardown];
}

/** Defined in api/step-names.ts (shared with the other runner); re-exported for this room's importers. */
export { isImageTarget };

/** The container command of a step: `cfs-gitops step <kind> [--layer <i>]`, an argv, never a shell. */
export function stepCommand(step: JobStep): string[] {
  const layer = step.layer === null ? [] : ["--layer", String(step.layer)];
  return [STEP_PROGRAM, "step", step.kind, ...layer];
}

/** Whether the step is a container of the `cfs` layout that runs the part of every layer (`git-clone`, `ansible`). */
export function isAllLayersStep(step: Pick<JobStep, "kind" | "layer">): boolean {
  return step.layer === null && (step.kind === "git-clone" || step.kind === "ansible");
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
