import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ListRow } from "../../../src/cli/list-rows.js";
import type { InvalidSession } from "../../../src/cli/problems.js";
import { renderSessionList, renderTableTemplate, tableTemplate } from "../../../src/cli/session-list.js";

const NOW = new Date("2026-12-06T12:00:00Z");
const word = fc.stringMatching(/^[a-z0-9-]{0,14}$/);
const start = fc.option(
  fc.integer({ min: NOW.getTime() - 3 * 365 * 86_400_000, max: NOW.getTime() + 60_000 }),
  {
    nil: null,
  },
);

const row: fc.Arbitrary<ListRow> = fc
  .record({
    name: word,
    status: fc.constantFrom("pending", "running", "complete"),
    succeeded: fc.constantFrom("none", "true", "false", "unknown"),
    startMs: start,
    configuration: word,
    target: fc.constantFrom("dynamic", "image", "spec"),
    layers: fc.constantFrom("-", "0/1", "3/3", "1/3 (failed: site)"),
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
          expect(renderTableTemplate(tableTemplate({ rows, invalid: bad }), now)).toBe(expected);
        },
      ),
    );
  });
});
