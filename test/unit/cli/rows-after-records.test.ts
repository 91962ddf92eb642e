import { describe, expect, it } from "vitest";
import type { ListRow } from "../../../src/cli/list-rows.js";
import { withRows } from "../../../src/cli/rows-after-records.js";

function row(name: string, status = "complete"): ListRow {
  return {
    name,
    tags: {},
    status,
    succeeded: "true",
    startTime: null,
    startMs: null,
    configuration: "site",
    target: "dynamic",
    completionTime: null,
    job: null,
    layers: "-",
  };
}

describe("rows with changed records laid over them", () => {
  it("replaces a row in place and keeps every other", () => {
    const rows = [row("a"), row("b"), row("c")];
    expect(withRows(rows, [row("b", "running")]).map((r) => `${r.name}:${r.status}`)).toEqual([
      "a:complete",
      "b:running",
      "c:complete",
    ]);
  });

  it("adds a row of a new name in name order (byte order, as git lists paths)", () => {
    const rows = [row("a"), row("c"), row("c-1")];
    expect(withRows(rows, [row("c-0"), row("B")]).map((r) => r.name)).toEqual(["B", "a", "c", "c-0", "c-1"]);
  });
});
