import { describe, expect, it } from "vitest";
import { isImageTarget, stepNames } from "../../../src/api/index.js";
import { layer, runSpec } from "../../helpers/ansible-fixtures.js";

const base = layer(0, { clone_url: "/r", commit: "a".repeat(40), playbook: "site.yml" });

describe("stepNames", () => {
  it("clones every layer, builds the inventory, then runs every layer, named by configuration index", () => {
    const spec = runSpec("s", [
      { ...base, index: 0 },
      { ...base, index: 2 },
    ]);
    expect(stepNames(spec)).toEqual(["git-clone-0", "git-clone-2", "inventory", "ansible-0", "ansible-2"]);
  });

  it("clones additional inventory after the layers", () => {
    const spec = runSpec("s", [base], { additionalInventory: { clone_url: "/inv", branch: "main" } });
    expect(stepNames(spec)).toEqual(["git-clone-0", "git-clone-hosts", "inventory", "ansible-0"]);
  });

  it("ends image sessions with teardown", () => {
    const spec = runSpec("s", [base]);
    const image = { ...spec, session: { ...spec.session, target: { definition: "image" as const } } };
    expect(isImageTarget(image)).toBe(true);
    expect(stepNames(image)).toEqual(["git-clone-0", "inventory", "ansible-0", "teardown"]);
    expect(isImageTarget(spec)).toBe(false);
  });

  it("has only the inventory step when no layer was chosen", () => {
    expect(stepNames(runSpec("s", []))).toEqual(["inventory"]);
  });
});
