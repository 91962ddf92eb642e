import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  parseDuration,
  selectLayers,
  sameJson,
  selectsAllLayers,
  stableJson,
  statusCommitMessage,
} from "../../../src/plan/index.js";
import { configuration } from "./fixtures.js";

describe("parseDuration", () => {
  it.each([
    ["30m", 1_800_000],
    ["6h", 21_600_000],
    ["1d", 86_400_000],
    ["2W", 1_209_600_000],
    ["", null],
    ["7", null],
    ["1.5h", null],
    ["h", null],
  ])("%s -> %s", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });
});

describe("selectLayers", () => {
  const cfg = configuration("cfg", 4);
  it.each([
    ["", [0, 1, 2, 3]],
    ["1,3", [1, 3]],
    ["3,1", [1, 3]],
    ["l2", [2]],
    ["l0, l3", [0, 3]],
  ])("limit %j selects %j", (limit, indices) => {
    const selection = selectLayers(cfg, limit);
    expect(selection.ok && selection.layers.map((l) => l.index)).toEqual(indices);
  });

  it.each([["9"], ["nope"], ["l1,nope"]])("limit %j names a missing layer", (limit) => {
    const selection = selectLayers(cfg, limit);
    expect(selection.ok).toBe(false);
    expect(!selection.ok && selection.message).toContain("configuration.limit");
  });

  it("says what CFS would do with a missing layer, and what to write instead", () => {
    const selection = selectLayers(cfg, "l1,l9");
    expect(!selection.ok && selection.message).toContain("CFS would silently skip an unknown index");
    expect(!selection.ok && selection.message).toContain("write exact layer names or 0-based indices");
  });
});

describe("selectsAllLayers", () => {
  it.each([
    ["", true],
    [" ", true],
    [",", true],
    [" , ,", true],
    ["0", false],
    ["l1", false],
    [", l1", false],
  ])("limit %j -> %s", (limit, all) => {
    expect(selectsAllLayers(limit)).toBe(all);
  });

  it("agrees with selectLayers: a limit that selects all layers selects every one", () => {
    const cfg = configuration("cfg", 3);
    fc.assert(
      fc.property(fc.array(fc.constantFrom("", " ", ",", "0", "l1", "9", "nope")), (parts) => {
        const limit = parts.join("");
        const selection = selectLayers(cfg, limit);
        if (!selectsAllLayers(limit)) return true;
        return selection.ok && selection.layers.length === 3;
      }),
    );
  });
});

describe("stableJson", () => {
  it("is the same text whatever the key order", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (value) => {
        const reversed = Object.fromEntries(Object.entries(value).reverse());
        return stableJson(value) === stableJson(reversed);
      }),
    );
  });

  it("writes what a sorted deep copy of the value writes", () => {
    const value = fc.oneof(fc.jsonValue(), fc.dictionary(fc.string(), fc.jsonValue()));
    fc.assert(fc.property(value, (v) => stableJson(v) === `${JSON.stringify(sortedCopy(v), null, 2)}\n`));
    const odd = { b: [undefined, { d: 1, c: undefined }], a: { ["__proto__"]: 1, "10": 2, "9": 3 } };
    expect(stableJson(odd)).toBe(`${JSON.stringify(sortedCopy(odd), null, 2)}\n`);
  });
});

/** The reference: a copy with every object's keys sorted, undefined properties left out. */
function sortedCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedCopy);
  if (value === null || typeof value !== "object") return value;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.fromEntries(entries.map(([k, v]) => [k, sortedCopy(v)]));
}

describe("sameJson", () => {
  it("agrees with comparing stableJson texts, for equal and for changed values", () => {
    const change = fc.tuple(fc.jsonValue(), fc.jsonValue(), fc.nat());
    fc.assert(
      fc.property(change, ([value, other, seed]) => {
        const copy = JSON.parse(JSON.stringify(value)) as unknown;
        const changed = replaceSomewhere(copy, other, seed);
        const expected = stableJson(value) === stableJson(changed);
        return sameJson(value, copy) && sameJson(value, changed) === expected;
      }),
    );
  });

  it.each([
    [{ a: 1, b: undefined }, { a: 1 }, true],
    [{ a: 1 }, { b: 1 }, false],
    [{ a: [1, 2] }, { a: [2, 1] }, false],
    [[undefined], [null], true],
    [{ a: {} }, { a: [] }, false],
    [{ a: null }, { a: {} }, false],
    [{ x: "1" }, { x: 1 }, false],
  ])("%j and %j: %s", (a, b, same) => {
    expect(sameJson(a, b)).toBe(same);
    expect(stableJson(a) === stableJson(b)).toBe(same);
  });
});

/** A copy of `value` with one nested value (chosen by `seed`) replaced by `other`. */
function replaceSomewhere(value: unknown, other: unknown, seed: number): unknown {
  if (value === null || typeof value !== "object" || seed % 3 === 0) return other;
  const entries = Object.entries(value);
  if (entries.length === 0) return other;
  const index = seed % entries.length;
  const next = Math.floor(seed / 3);
  if (Array.isArray(value)) {
    return (value as unknown[]).map((v, i) => (i === index ? replaceSomewhere(v, other, next) : v));
  }
  return Object.fromEntries(
    entries.map(([k, v], i) => [k, i === index ? replaceSomewhere(v, other, next) : v]),
  );
}

describe("statusCommitMessage", () => {
  it("summarizes by status and adds one trailer per session and the source commit", () => {
    const rec = (status: string, succeeded = "none") =>
      Buffer.from(JSON.stringify({ status: { session: { status, succeeded } } }));
    const message = statusCommitMessage({
      sourceCommit: "a".repeat(40),
      changes: new Map([
        ["sessions/b.json", rec("running")],
        ["sessions/a.json", rec("complete", "true")],
        ["sessions/c.json", rec("running")],
        ["sessions/d.json", null],
        ["problems/sessions/x.yaml.json", Buffer.from("{}")],
        ["logs/a/ansible-0.log", Buffer.from("log")],
      ]),
    });
    expect(message).toBe(
      [
        "status: 2 running, 1 complete, 1 deleted, 1 problem updated",
        "",
        `Cfs-Source-Commit: ${"a".repeat(40)}`,
        "Cfs-Session: a complete succeeded=true",
        "Cfs-Session: b running",
        "Cfs-Session: c running",
        "Cfs-Session: d deleted",
        "",
      ].join("\n"),
    );
  });

  it("reads a session's status from the record it was written from when the caller has it, else from its JSON", () => {
    const written = { status: { session: { status: "complete", succeeded: "false" } } };
    const content = Buffer.from(JSON.stringify(written));
    const theirs = Buffer.from(
      JSON.stringify({ status: { session: { status: "running", succeeded: "none" } } }),
    );
    const changes = new Map([
      ["sessions/a.json", content],
      ["sessions/b.json", theirs],
    ]);
    const looked: Uint8Array[] = [];
    const recordOf = (bytes: Uint8Array): object | undefined => {
      looked.push(bytes);
      return bytes === content ? written : undefined;
    };
    const message = statusCommitMessage({ sourceCommit: null, changes, recordOf });
    expect(message).toBe(statusCommitMessage({ sourceCommit: null, changes }));
    expect(message).toContain("Cfs-Session: a complete succeeded=false\nCfs-Session: b running\n");
    expect(looked).toEqual([content, theirs]);
  });
});
