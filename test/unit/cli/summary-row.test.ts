import { describe, expect, it } from "vitest";
import { summarizeSession, type SessionSummary } from "../../../src/cli/session-summary.js";
import { summaryOfRow, summaryRow } from "../../../src/cli/summary-row.js";

const summary: SessionSummary = {
  name: "s1",
  tags: { team: "a" },
  configuration: { name: "site" },
  target: { definition: "dynamic" },
  status: {
    session: {
      status: "complete",
      succeeded: "true",
      start_time: "2026-01-01T00:00:00Z",
      completion_time: null,
      job: "j",
    },
    source: { path: "sessions/s1.yaml", blob: "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391" },
    layers: [
      { name: "base", status: "succeeded" },
      { name: "site", status: "failed" },
    ],
  } as SessionSummary["status"],
};

describe("a session summary as a row of the list cache", () => {
  it("reads back exactly as written, key order included, and is smaller", () => {
    const row = summaryRow(summary);
    expect(row).not.toBeNull();
    const back = summaryOfRow(JSON.parse(JSON.stringify(row)));
    expect(JSON.stringify(back)).toBe(JSON.stringify(summary));
    expect(JSON.stringify(row).length).toBeLessThan(JSON.stringify(summary).length * 0.8);
  });

  it("keeps as they are the values a row would not give back exactly", () => {
    const odd: unknown[] = [
      { ...summary, extra: 1 },
      { ...summary, configuration: { name: "site", more: true } },
      { ...summary, configuration: {} },
      { ...summary, status: { ...summary.status, layers: [{ name: "base" }] } },
      { ...summary, status: { ...summary.status, source: { path: "p", blob: 7 } } },
      { ...summary, tags: ["a"] },
      summarizeSession(["a", "record", "that", "is", "an", "array", "of", "8"]),
      null,
      "s1",
    ];
    for (const value of odd) expect(summaryRow(value)).toBeNull();
  });

  it("reads a row it did not write as no summary", () => {
    expect(summaryOfRow(["s1"])).toBeNull();
    expect(summaryOfRow({ name: "s1" })).toBeNull();
    expect(summaryOfRow([1, {}, "c", "d", {}, "p", null, []])).toBeNull();
    expect(summaryOfRow(["s1", {}, "c", "d", {}, "p", null, [["base", 3]]])).toBeNull();
  });
});
