import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { listRowOf, rowsFromJson, rowsToJson, type ListRow } from "../../../src/cli/list-rows.js";
import type { SessionSummary } from "../../../src/cli/session-summary.js";

const text = fc.string({ maxLength: 12 });
const maybe = fc.option(text, { nil: null });
const row: fc.Arbitrary<ListRow> = fc.record({
  name: text,
  tags: fc.dictionary(text, text, { maxKeys: 3 }),
  status: text,
  succeeded: text,
  startTime: maybe,
  startMs: fc.option(fc.integer(), { nil: null }),
  configuration: text,
  target: text,
  completionTime: maybe,
  job: maybe,
  layers: text,
});

function summary(layers: Array<[string, string]>, start: string | null): SessionSummary {
  return {
    name: "s-1",
    tags: { team: "a" },
    configuration: { name: "site" },
    target: { definition: "dynamic" },
    status: {
      session: { status: "complete", succeeded: "false", start_time: start, completion_time: null, job: "j" },
      source: { path: "sessions/s-1.yaml", blob: "b" },
      layers: layers.map(([name, status]) => ({ name, status })),
    },
  } as SessionSummary;
}

describe("list rows", () => {
  it("read back through JSON exactly as written", () => {
    fc.assert(
      fc.property(fc.array(row, { maxLength: 20 }), (rows) => {
        expect(rowsFromJson(JSON.parse(JSON.stringify(rowsToJson(rows))))).toEqual(rows);
      }),
    );
  });

  it("refuse a body of another shape, so the cache is rebuilt", () => {
    const good = rowsToJson([listRowOf(summary([], null))])[0]!;
    expect(rowsFromJson({})).toBeNull();
    expect(rowsFromJson([good.slice(0, 10)])).toBeNull();
    expect(rowsFromJson([[...good.slice(0, 10), []]])).toBeNull(); // tags not an object
    expect(rowsFromJson([Object.assign([...good], { 4: "1" })])).toBeNull(); // startMs not a number
    expect(rowsFromJson([Object.assign([...good], { 0: null })])).toBeNull(); // no name
  });

  it("sum the layers up as the table prints them, and parse the start once", () => {
    const start = "2026-12-01T10:00:00Z";
    const failed = listRowOf(
      summary(
        [
          ["base", "succeeded"],
          ["site", "failed"],
          ["app", "pending"],
        ],
        start,
      ),
    );
    expect(failed).toMatchObject({ layers: "1/3 (failed: site)", startMs: Date.parse(start), job: "j" });
    expect(listRowOf(summary([["base", "succeeded"]], null))).toMatchObject({ layers: "1/1", startMs: null });
    expect(listRowOf(summary([], "not a time"))).toMatchObject({ layers: "-", startMs: null });
  });
});
