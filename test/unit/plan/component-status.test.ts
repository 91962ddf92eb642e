import { describe, expect, it } from "vitest";
import type { ComponentStateLayer, ConfigurationRecordLayer } from "../../../src/api/index.js";
import { appendState, configurationStatus, hasMaxRetries, retryLimit } from "../../../src/plan/index.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const layer = (url: string, commit = A): ConfigurationRecordLayer => ({
  clone_url: url,
  playbook: "site.yml",
  commit,
});
const entry = (url: string, status: ComponentStateLayer["status"], commit = A): ComponentStateLayer => ({
  clone_url: url,
  playbook: "site.yml",
  commit,
  status,
  last_updated: "2026-12-01T00:00:00Z",
  session_name: "s",
});

describe("configurationStatus", () => {
  const two = [layer("u0"), layer("u1")];
  const cases: Array<{
    what: string;
    layers: ConfigurationRecordLayer[] | null;
    state: ComponentStateLayer[];
    errors?: number;
    retries?: number;
    want: string;
  }> = [
    { what: "no desired configuration", layers: null, state: [], want: "unconfigured" },
    {
      what: "a desired configuration that does not exist, even with state",
      layers: null,
      state: [entry("u0", "applied")],
      want: "unconfigured",
    },
    { what: "nothing applied yet", layers: two, state: [], want: "pending" },
    { what: "one of two layers applied", layers: two, state: [entry("u0", "applied")], want: "pending" },
    {
      what: "every layer applied",
      layers: two,
      state: [entry("u0", "applied"), entry("u1", "applied")],
      want: "configured",
    },
    {
      what: "skipped counts as configured",
      layers: two,
      state: [entry("u0", "applied"), entry("u1", "skipped")],
      want: "configured",
    },
    {
      what: "applied at another commit",
      layers: two,
      state: [entry("u0", "applied", B), entry("u1", "applied")],
      want: "pending",
    },
    {
      what: "a failed layer with retries left",
      layers: two,
      state: [entry("u0", "failed")],
      errors: 1,
      retries: 3,
      want: "pending",
    },
    {
      what: "a failed layer with retries used up",
      layers: two,
      state: [entry("u0", "failed")],
      errors: 3,
      retries: 3,
      want: "failed",
    },
    {
      what: "pending with retries used up (errors from hand-made sessions too)",
      layers: two,
      state: [],
      errors: 3,
      retries: 3,
      want: "failed",
    },
    {
      what: "retry_policy -1 never runs out",
      layers: two,
      state: [entry("u0", "failed")],
      errors: 99,
      retries: -1,
      want: "pending",
    },
    {
      what: "a layer with no commit makes the component unconfigured",
      layers: [layer("u0"), layer("u1", "")],
      state: [entry("u0", "applied")],
      want: "unconfigured",
    },
  ];
  it.each(cases)("$what: $want", ({ layers, state, errors, retries, want }) => {
    const result = configurationStatus({ layers, state, errorCount: errors ?? 0, retries: retries ?? 3 });
    expect(result.status).toBe(want);
  });

  it("gives each desired layer its own status", () => {
    const result = configurationStatus({
      layers: [layer("u0"), layer("u1")],
      state: [entry("u0", "applied")],
      errorCount: 0,
      retries: 3,
    });
    expect(result.desiredState.map((l) => l.status)).toEqual(["configured", "pending"]);
  });
});

describe("appendState", () => {
  it("replaces every entry of the same repository and playbook, whatever its commit, and appends", () => {
    const state = [entry("u0", "failed", B), entry("u1", "applied")];
    expect(appendState(state, entry("u0", "applied"))).toEqual([
      entry("u1", "applied"),
      entry("u0", "applied"),
    ]);
  });
});

describe("retries", () => {
  it("uses the component's retry_policy, else the option, else 3", () => {
    expect(retryLimit(5, 1)).toBe(5);
    expect(retryLimit(undefined, 1)).toBe(1);
    expect(retryLimit(undefined, undefined)).toBe(3);
  });
  it("treats -1 as unlimited", () => {
    expect(hasMaxRetries(1000, -1)).toBe(false);
    expect(hasMaxRetries(3, 3)).toBe(true);
    expect(hasMaxRetries(2, 3)).toBe(false);
  });
});
