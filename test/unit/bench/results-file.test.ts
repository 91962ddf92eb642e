import { describe, expect, it } from "vitest";
import { mergeResults, parseSections, type ScenarioSection } from "../../../bench/lib/results-file.js";

function section(name: string, table: string, date = "2026-12-06T10:00:00.000Z"): ScenarioSection {
  return {
    name,
    table,
    machine: {
      cpu: "cpu",
      cores: 2,
      memoryGiB: 24,
      os: "linux",
      node: "v20",
      git: "git version 2.39.5",
      date,
      loadAtStart: [1, 2, 3],
    },
    loadAtEnd: [4, 5, 6],
    seconds: 7,
    quick: true,
  };
}

describe("bench/results.md sections", () => {
  it("a run of one scenario replaces its section and keeps the others with their own date and load", () => {
    const order = ["cold", "api", "cli"];
    const first = mergeResults({
      previous: null,
      ran: [section("cold", "| cold row |"), section("cli", "| cli row old |")],
      order,
    });
    const second = mergeResults({
      previous: first,
      ran: [section("cli", "| cli row new |", "2026-12-07T00:00:00.000Z")],
      order,
    });
    const sections = parseSections(second);
    expect([...sections.keys()]).toEqual(["cold", "cli"]);
    expect(sections.get("cold")).toBe(parseSections(first).get("cold"));
    expect(sections.get("cli")).toContain("| cli row new |");
    expect(sections.get("cli")).toContain("2026-12-07T00:00:00.000Z");
    expect(second).not.toContain("cli row old");
    expect(sections.get("cli")).toContain("`npm run bench -- --only=cli --quick` (7 s)");
    expect(sections.get("cli")).toContain("at start 1, 2, 3, at end 4, 5, 6");
  });

  it("a file of the old format (one table, no sections) is replaced, and unknown scenarios are dropped", () => {
    const merged = mergeResults({
      previous: "# Benchmark results\n\n| old | table |\n<!-- bench:scenario=gone -->\nx\n<!-- /bench -->\n",
      ran: [section("api", "| api |")],
      order: ["api"],
    });
    expect(merged).not.toContain("old | table");
    expect([...parseSections(merged).keys()]).toEqual(["api"]);
  });

  it("an unterminated section (a truncated file) is not taken in", () => {
    expect(parseSections("<!-- bench:scenario=cold -->\n## cold\n| row |\n").size).toBe(0);
  });
});
