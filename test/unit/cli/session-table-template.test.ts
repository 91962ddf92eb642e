import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ListRow } from "../../../src/cli/list-rows.js";
import type { InvalidSession } from "../../../src/cli/problems.js";
import { renderSessionList, renderTableTemplate, tableTemplate } from "../../../src/cli/session-list.js";

const NOW = new Date("2026-12-06T12:00:00Z");
const word = fc.stringMatching(/^[a-z0-9-]{0,14}$/);
// Now and then any text at all: wide characters, control characters, the template's own marks.
const cell = fc.oneof(
  { weight: 4, arbitrary: word },
  {
    weight: 1,
    arbitrary: fc.string({
      maxLength: 6,
      unit: fc.constantFrom("a", "é", "字", " ", "\t", "\n", "\u0001", "\u0002", "-"),
    }),
  },
);
const hasMark = (text: string): boolean => text.includes("\u0001") || text.includes("\u0002");

const start = fc.option(
  fc.integer({ min: NOW.getTime() - 3 * 365 * 86_400_000, max: NOW.getTime() + 60_000 }),
  {
    nil: null,
  },
);

const row: fc.Arbitrary<ListRow> = fc
  .record({
    name: cell,
    status: fc.constantFrom("pending", "running", "complete"),
    succeeded: fc.constantFrom("none", "true", "false", "unknown"),
    startMs: start,
    configuration: cell,
    target: fc.constantFrom("dynamic", "image", "spec"),
    layers: fc.oneof(fc.constantFrom("-", "0/1", "3/3", "1/3 (failed: site)", ""), cell),
  })
  .map((r) => ({
    ...r,
    tags: {},
    startTime: r.startMs === null ? null : new Date(r.startMs).toISOString(),
    completionTime: null,
    job: null,
  }));

const invalid: fc.Arbitrary<InvalidSession> = word.map((name) => ({
  name,
  path: `sessions/${name}.yaml`,
  errors: [{ line: 2, column: 3, code: "schema", message: "bad" }],
}));

describe("the default table's template", () => {
  it("prints at any time the same text as rendering the table", () => {
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 30 }),
        fc.array(invalid, { maxLength: 3 }),
        fc.integer({ min: 0, max: 400 * 86_400_000 }),
        (rows, bad, later) => {
          const now = new Date(NOW.getTime() + later);
          const expected = renderSessionList({
            listed: { kind: "rows", output: "table", page: { items: rows, next: null } },
            invalid: bad,
            headers: true,
            now,
            paint: (text) => text,
            params: {},
          });
          const template = tableTemplate({ rows, invalid: bad });
          if (template === null) {
            // Only a table with a mark in a cell has none (it is then rendered from rows).
            expect(rows.some((r) => hasMark(`${r.name}${r.configuration}${r.layers}`))).toBe(true);
            return;
          }
          expect(renderTableTemplate(template, now)).toBe(expected);
        },
      ),
    );
  });

  it("is not made for a table with its marks in a cell (that table is rendered from rows)", () => {
    const rows: ListRow[] = [
      {
        name: "a\u0001b",
        status: "complete",
        succeeded: "true",
        startMs: 0,
        configuration: "c",
        target: "spec",
        layers: "1/1",
        tags: {},
        startTime: null,
        completionTime: null,
        job: null,
      },
    ];
    expect(tableTemplate({ rows, invalid: [] })).toBeNull();
    expect(tableTemplate({ rows: [{ ...rows[0]!, name: "ab" }], invalid: [] })).not.toBeNull();
  });
});
