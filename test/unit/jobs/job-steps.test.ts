import { describe, expect, it } from "vitest";
import { isImageTarget, jobSteps, stepCommand } from "../../../src/jobs/index.js";
import { runSpec } from "../../helpers/kube-run-specs.js";

describe("jobSteps", () => {
  it("orders clones, extra inventory, inventory, then layers, and ends with one regular container", () => {
    const steps = jobSteps(runSpec({ indices: [0, 2], additionalInventory: true }));
    expect(steps.map((s) => [s.name, s.kind, s.layer, s.init, s.image])).toEqual([
      ["git-clone-0", "git-clone", 0, true, "step"],
      ["git-clone-2", "git-clone", 2, true, "step"],
      ["git-clone-hosts", "git-clone-hosts", null, true, "step"],
      ["inventory", "inventory", null, true, "step"],
      ["ansible-0", "ansible", 0, true, "ansible"],
      ["ansible-2", "ansible", 2, true, "ansible"],
      ["report", "report", null, false, "step"],
    ]);
  });

  it.each([
    ["dynamic", "report"],
    ["spec", "report"],
    ["repo", "report"],
    ["image", "teardown"],
  ] as const)("ends a %s session with %s", (definition, last) => {
    const spec = runSpec({ definition });
    expect(jobSteps(spec).at(-1)?.name).toBe(last);
    expect(isImageTarget(spec)).toBe(definition === "image");
  });

  it("builds the step argv from the kind and layer", () => {
    const steps = jobSteps(runSpec({ indices: [7] }));
    expect(steps.map(stepCommand)).toEqual([
      ["cfs-gitops", "step", "git-clone", "--layer", "7"],
      ["cfs-gitops", "step", "inventory"],
      ["cfs-gitops", "step", "ansible", "--layer", "7"],
      ["cfs-gitops", "step", "report"],
    ]);
  });
});
