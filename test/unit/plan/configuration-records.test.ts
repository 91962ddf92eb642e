import { describe, expect, it } from "vitest";
import type { ResolvedConfiguration, ConfigurationRecord } from "../../../src/api/index.js";
import {
  branchesToResolve,
  branchKey,
  planConfigurationRecords,
  resolvedConfiguration,
} from "../../../src/plan/index.js";

const A = "a".repeat(40);
const B = "b".repeat(40);
const P = "p".repeat(40);
const URL = "https://git.example.org/base.git";

function manifest(extra: Partial<ResolvedConfiguration> = {}): ResolvedConfiguration {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Configuration",
    name: "site",
    layers: [
      { name: "base", clone_url: URL, branch: "main", playbook: "site.yml" },
      { name: "pinned", clone_url: "https://git.example.org/p.git", commit: P, playbook: "site.yml" },
    ],
    ...extra,
  };
}

const resolvedTo = (commit: string) => new Map([[branchKey({ url: URL, branch: "main" }), commit]]);

function plan(input: {
  manifest?: ResolvedConfiguration | null;
  records?: Map<string, ConfigurationRecord>;
  resolved?: Map<string, string>;
}) {
  const m = input.manifest === undefined ? manifest() : input.manifest;
  return planConfigurationRecords({
    configurations: new Map(m ? [[m.name, m]] : []),
    records: input.records ?? new Map(),
    resolved: input.resolved ?? new Map(),
    now: "2026-12-01T00:00:00Z",
  });
}

describe("configuration records", () => {
  it("resolves a branch layer when the configuration is new and records branch and commit", () => {
    expect(branchesToResolve(new Map([["site", manifest()]]), new Map())).toEqual([
      { url: URL, branch: "main" },
    ]);
    const out = plan({ resolved: resolvedTo(A) });
    expect(out.changed.get("site")).toEqual({
      name: "site",
      last_updated: "2026-12-01T00:00:00Z",
      layers: [
        { name: "base", clone_url: URL, branch: "main", commit: A, playbook: "site.yml" },
        { name: "pinned", clone_url: "https://git.example.org/p.git", commit: P, playbook: "site.yml" },
      ],
    });
  });

  it("keeps the resolved commit while the manifest is unchanged, whatever the branch does", () => {
    const record = plan({ resolved: resolvedTo(A) }).changed.get("site")!;
    const records = new Map([["site", record]]);
    expect(branchesToResolve(new Map([["site", manifest()]]), records)).toEqual([]);
    const out = plan({ records, resolved: resolvedTo(B) });
    expect(out.changed.size).toBe(0);
    expect(resolvedConfiguration(manifest(), out.current.get("site")).layers[0]?.commit).toBe(A);
  });

  it("resolves again when the manifest changes, and keeps the old record while it cannot", () => {
    const record = plan({ resolved: resolvedTo(A) }).changed.get("site")!;
    const records = new Map([["site", record]]);
    const edited = manifest({ description: "refresh" });
    expect(branchesToResolve(new Map([["site", edited]]), records)).toHaveLength(1);
    expect(plan({ manifest: edited, records }).current.get("site")).toBe(record); // unreachable: old commits stay
    expect(
      plan({ manifest: edited, records, resolved: resolvedTo(B) }).changed.get("site")?.layers[0]?.commit,
    ).toBe(B);
  });

  it("records a clone URL without its credentials, matches it to its manifest and resolves the manifest's URL", () => {
    const secret = "c0nf-URL-S3cret";
    const url = `https://bot:${secret}@git.example.org/base.git`;
    const withCredentials = manifest({
      layers: [{ name: "base", clone_url: url, branch: "main", playbook: "site.yml" }],
      additional_inventory: { clone_url: `https://${secret}@git.example.org/inv.git`, branch: "main" },
    });
    const resolved = new Map([[branchKey({ url, branch: "main" }), A]]);
    const record = plan({ manifest: withCredentials, resolved }).changed.get("site")!;
    expect(record.layers[0]?.clone_url).toBe("https://***@git.example.org/base.git");
    expect(record.additional_inventory?.clone_url).toBe("https://***@git.example.org/inv.git");
    expect(JSON.stringify(record)).not.toContain(secret);
    const records = new Map([["site", record]]);
    // The same manifest matches its record: nothing to resolve or rewrite on the next pass.
    expect(branchesToResolve(new Map([["site", withCredentials]]), records)).toEqual([]);
    expect(plan({ manifest: withCredentials, records }).changed.size).toBe(0);
    // The run still clones from the URL as written, at the recorded commit.
    expect(resolvedConfiguration(withCredentials, record).layers[0]).toMatchObject({
      clone_url: url,
      commit: A,
    });
  });

  it("deletes the record of a removed configuration", () => {
    const record = plan({ resolved: resolvedTo(A) }).changed.get("site")!;
    expect(plan({ manifest: null, records: new Map([["site", record]]) }).changed).toEqual(
      new Map([["site", null]]),
    );
  });
});
