import { describe, expect, it } from "vitest";
import { consecutiveStarts } from "../../../src/controller/action-groups.js";
import type { Action } from "../../../src/plan/index.js";
import { runSpec } from "../../helpers/ansible-fixtures.js";

const start = (name: string): Action => ({ type: "start", spec: runSpec(name, []) });
const remove = (name: string): Action => ({ type: "remove", name, job: `cfs-${name}`, why: "orphan" });

describe("consecutiveStarts", () => {
  it("groups consecutive starts and keeps removes and the order between groups", () => {
    const actions = [remove("a"), remove("b"), start("c"), start("d"), remove("e"), start("f")];
    const names = consecutiveStarts(actions).map((group) =>
      group.map((action) => (action.type === "start" ? `+${action.spec.name}` : `-${action.name}`)),
    );
    expect(names).toEqual([["-a", "-b"], ["+c", "+d"], ["-e"], ["+f"]]);
  });

  it("returns nothing for no actions", () => {
    expect(consecutiveStarts([])).toEqual([]);
  });
});
