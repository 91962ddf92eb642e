import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobName, SESSION_STATUSES, SUCCEEDED_VALUES, type SessionRecord } from "../../../src/api/index.js";
import { CliError } from "../../../src/cli/errors.js";
import {
  matchesSessionFilter,
  NO_FILTER,
  pageByName,
  parseLimit,
  parseSessionFilter,
  parseTags,
  type Page,
  type SessionFilter,
} from "../../../src/cli/session-filters.js";
import { newSessionRecord } from "../../../src/plan/index.js";

const NOW = new Date("2026-11-21T12:00:00Z");

function record(input: {
  name?: string;
  status?: SessionRecord["status"]["session"]["status"];
  succeeded?: SessionRecord["status"]["session"]["succeeded"];
  startMsAgo?: number | null;
  tags?: Record<string, string>;
}): SessionRecord {
  const name = input.name ?? "s";
  const r = newSessionRecord({
    session: {
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name,
      configuration: { name: "c" },
      tags: input.tags ?? {},
    },
    source: { path: `sessions/${name}.yaml`, commit: "c0", blob: "b0" },
    job: jobName(name, "b0"),
    options: null,
  });
  r.status.session.status = input.status ?? "pending";
  r.status.session.succeeded = input.succeeded ?? "none";
  const ago = input.startMsAgo;
  r.status.session.start_time =
    ago === undefined || ago === null ? null : new Date(NOW.getTime() - ago).toISOString();
  return r;
}

const filter = (extra: Partial<SessionFilter>): SessionFilter => ({ ...NO_FILTER, ...extra });

describe("parseSessionFilter", () => {
  it.each([
    [{}, null, NO_FILTER],
    [{ status: "running" }, null, filter({ status: "running" })],
    [{}, "complete", filter({ status: "complete" })],
    [{ status: "" }, "complete", NO_FILTER],
    [{ succeeded: "unknown" }, null, filter({ succeeded: "unknown" })],
    [{ minAge: "1d", maxAge: "6h" }, null, filter({ minAgeMs: 86_400_000, maxAgeMs: 21_600_000 })],
    [{ minAge: "30m", maxAge: "2w" }, null, filter({ minAgeMs: 1_800_000, maxAgeMs: 1_209_600_000 })],
    [
      { tags: "a=1,b=2" },
      null,
      filter({
        tags: [
          ["a", "1"],
          ["b", "2"],
        ],
      }),
    ],
    [{ nameContains: "x" }, null, filter({ nameContains: "x" })],
  ] as const)("parses %j (default status %s)", (flags, defaultStatus, expected) => {
    expect(parseSessionFilter(flags, defaultStatus)).toEqual(expected);
  });

  it.each([
    [{ status: "done" }, "--status done: use one of pending, running, complete"],
    [{ succeeded: "yes" }, "--succeeded yes: use one of none, true, false, unknown"],
    [{ minAge: "1y" }, "--min-age 1y: not an age (use e.g. 30m, 6h, 1d, 2w)"],
    [{ tags: "k" }, "--tags k: expected key=value pairs separated by commas"],
    [{ tags: "=v" }, "--tags =v: expected key=value pairs separated by commas"],
  ])("refuses %j with exit code 2", (flags, message) => {
    const error = (() => {
      try {
        parseSessionFilter(flags);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(CliError);
    expect(error).toMatchObject({ message, exitCode: 2 });
  });

  it("parses tags keeping '=' in values and empty values", () => {
    expect(parseTags("a=b=c,d=")).toEqual([
      ["a", "b=c"],
      ["d", ""],
    ]);
  });

  it("parses --limit as a whole number of at least 1", () => {
    expect(parseLimit(undefined)).toBeNull();
    expect(parseLimit("20")).toBe(20);
    for (const bad of ["0", "-1", "1.5", "x"]) expect(() => parseLimit(bad)).toThrow(CliError);
  });
});

describe("matchesSessionFilter", () => {
  const HOUR = 3_600_000;
  it.each([
    ["status matches", record({ status: "running" }), filter({ status: "running" }), true],
    ["status differs", record({ status: "pending" }), filter({ status: "running" }), false],
    ["succeeded", record({ status: "complete", succeeded: "false" }), filter({ succeeded: "false" }), true],
    ["name contains", record({ name: "nightly-42" }), filter({ nameContains: "ly-4" }), true],
    ["name does not contain", record({ name: "nightly-42" }), filter({ nameContains: "daily" }), false],
    [
      "all tags match",
      record({ tags: { a: "1", b: "2" } }),
      filter({
        tags: [
          ["a", "1"],
          ["b", "2"],
        ],
      }),
      true,
    ],
    [
      "one tag differs",
      record({ tags: { a: "1", b: "3" } }),
      filter({
        tags: [
          ["a", "1"],
          ["b", "2"],
        ],
      }),
      false,
    ],
    ["a missing tag", record({ tags: {} }), filter({ tags: [["a", ""]] }), false],
    ["min-age: old enough", record({ startMsAgo: 2 * HOUR }), filter({ minAgeMs: HOUR }), true],
    ["min-age: too young", record({ startMsAgo: HOUR / 2 }), filter({ minAgeMs: HOUR }), false],
    ["max-age: young enough", record({ startMsAgo: HOUR / 2 }), filter({ maxAgeMs: HOUR }), true],
    ["max-age: exactly at the limit", record({ startMsAgo: HOUR }), filter({ maxAgeMs: HOUR }), true],
    ["max-age: too old", record({ startMsAgo: 2 * HOUR }), filter({ maxAgeMs: HOUR }), false],
    [
      "no start time matches no age filter (as CFS)",
      record({ startMsAgo: null }),
      filter({ maxAgeMs: HOUR }),
      false,
    ],
    ["no start time, no age filter", record({ startMsAgo: null }), NO_FILTER, true],
  ])("%s", (_title, r, f, expected) => {
    expect(matchesSessionFilter(r, f, NOW)).toBe(expected);
  });

  it("an age window matches exactly the sessions that started inside it (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: 1e9 }),
        fc.integer({ min: 0, max: 1e9 }),
        (ago, minAge, maxAge) => {
          const matches = matchesSessionFilter(
            record({ startMsAgo: ago }),
            filter({ minAgeMs: minAge, maxAgeMs: maxAge }),
            NOW,
          );
          expect(matches).toBe(ago >= minAge && ago <= maxAge);
        },
      ),
    );
  });

  it("a filter built from a record's own values always matches it (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SESSION_STATUSES),
        fc.constantFrom(...SUCCEEDED_VALUES),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 5 }).filter((k) => !k.includes(",") && !k.includes("=")),
          fc.string({ maxLength: 5 }),
        ),
        (status, succeeded, tags) => {
          const r = record({ status, succeeded, tags });
          const own = filter({ status, succeeded, tags: Object.entries(tags), nameContains: r.name });
          expect(matchesSessionFilter(r, own, NOW)).toBe(true);
        },
      ),
    );
  });
});

describe("pageByName", () => {
  const named = (names: string[]) => names.map((name) => ({ name }));

  it("returns everything sorted without a limit, and the rest after a name", () => {
    expect(pageByName(named(["b", "c", "a"]), { limit: null, after: null })).toEqual({
      items: named(["a", "b", "c"]),
      next: null,
    });
    expect(pageByName(named(["b", "c", "a"]), { limit: null, after: "a" })).toEqual({
      items: named(["b", "c"]),
      next: null,
    });
    expect(pageByName(named(["b", "c", "a"]), { limit: 2, after: null })).toEqual({
      items: named(["a", "b"]),
      next: "b",
    });
    expect(pageByName(named(["b", "c", "a"]), { limit: 2, after: "b" })).toEqual({
      items: named(["c"]),
      next: null,
    });
    expect(pageByName(named(["a", "b"]), { limit: 2, after: null }).next).toBeNull();
  });

  it("following next from the first page visits every item once, in order (property)", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.string({ maxLength: 6 })),
        fc.integer({ min: 1, max: 5 }),
        (names, limit) => {
          const seen: string[] = [];
          let after: string | null = null;
          for (let pages = 0; pages <= names.length + 1; pages++) {
            const page: Page<{ name: string }> = pageByName(named(names), { limit, after });
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items.map((item) => item.name));
            if (page.next === null) break;
            after = page.next;
          }
          expect(seen).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
        },
      ),
    );
  });
});
