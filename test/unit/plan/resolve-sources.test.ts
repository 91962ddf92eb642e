/**
 * Layers and inventories that name a source get its clone_url when the desired state is assembled,
 * and a session's RunSpec carries the sources it clones from; the options additional_inventory_url
 * and additional_inventory_source give every session without an inventory of its own one.
 */
import { describe, expect, it } from "vitest";
import type { ConfigurationManifest, OptionsManifest, SourceManifest } from "../../../src/api/index.js";
import { buildRunSpec, type RepoFile } from "../../../src/plan/index.js";
import { COMMIT, configurationFile, desiredOf, session, sessionFile } from "./fixtures.js";

const SOURCE: SourceManifest = {
  apiVersion: "cfs-gitops/v1",
  kind: "Source",
  name: "site-vcs",
  clone_url: "https://vcs.example.org/site.git",
  credentials: { authentication_method: "password", secret_name: "site-creds" },
};

function sourceFile(manifest: SourceManifest): RepoFile {
  return {
    path: `sources/${manifest.name}.yaml`,
    blob: `b-src-${manifest.name}`,
    commit: COMMIT,
    parsed: { ok: true, kind: "Source", name: manifest.name, manifest },
  };
}

function optionsFile(extra: Partial<OptionsManifest>): RepoFile {
  const manifest: OptionsManifest = { apiVersion: "cfs-gitops/v1", kind: "Options", ...extra };
  return {
    path: "cfs.yaml",
    blob: "b-opts",
    commit: COMMIT,
    parsed: { ok: true, kind: "Options", name: "cfs", manifest },
  };
}

function cfg(extra: Partial<ConfigurationManifest> = {}): ConfigurationManifest {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Configuration",
    name: "cfg",
    layers: [
      { name: "site", source: "site-vcs", playbook: "site.yml" },
      { name: "plain", clone_url: "https://git.example.org/plain.git", playbook: "site.yml" },
    ],
    ...extra,
  };
}

function runSpecOf(files: RepoFile[]) {
  const desired = desiredOf([...files, sessionFile(session("s"))]);
  const wanted = desired.sessions.get("s");
  return { desired, spec: wanted ? buildRunSpec(desired, wanted, "job") : null };
}

describe("sources in the desired state", () => {
  it("gives a layer that names a source the source's clone_url, and the RunSpec the source", () => {
    const { spec } = runSpecOf([sourceFile(SOURCE), configurationFile(cfg())]);
    expect(spec?.layers.map((l) => [l.source, l.clone_url])).toEqual([
      ["site-vcs", "https://vcs.example.org/site.git"],
      [undefined, "https://git.example.org/plain.git"],
    ]);
    expect(spec?.sources).toEqual({ "site-vcs": SOURCE });
  });

  it("gives a RunSpec no sources when no layer names one", () => {
    const plain = cfg({ layers: [{ clone_url: "https://git.example.org/plain.git", playbook: "site.yml" }] });
    const { spec } = runSpecOf([sourceFile(SOURCE), configurationFile(plain)]);
    expect(spec?.sources).toBeUndefined();
  });

  it("makes a configuration that names a missing source a problem at that source, in CFS's words", () => {
    const { desired } = runSpecOf([configurationFile(cfg())]);
    expect(desired.configurations.has("cfg")).toBe(false);
    const errors = desired.problems.get("configurations/cfg.yaml")?.errors ?? [];
    expect(errors.map((e) => e.code)).toEqual(["unknown-source"]);
    expect(errors[0]?.message).toContain("The source site-vcs does not exist.");
    expect(errors[0]?.message).toContain("Add sources/site-vcs.yaml");
    // The session naming it cannot run, and says so.
    expect(desired.sessions.has("s")).toBe(false);
  });
});

describe("the options additional_inventory_url and additional_inventory_source", () => {
  it("give a session whose configuration has no inventory the URL's repository", () => {
    const { spec } = runSpecOf([
      sourceFile(SOURCE),
      configurationFile(cfg()),
      optionsFile({ additional_inventory_url: "https://git.example.org/inventory.git" }),
    ]);
    expect(spec?.additionalInventory).toEqual({ clone_url: "https://git.example.org/inventory.git" });
  });

  it("give the source's repository, with the source, and the source wins over the URL as in CFS", () => {
    const { spec } = runSpecOf([
      sourceFile(SOURCE),
      configurationFile(cfg({ layers: [{ clone_url: "https://git.example.org/p.git", playbook: "p.yml" }] })),
      optionsFile({
        additional_inventory_url: "https://git.example.org/inventory.git",
        additional_inventory_source: "site-vcs",
      }),
    ]);
    expect(spec?.additionalInventory).toEqual({ source: "site-vcs", clone_url: SOURCE.clone_url });
    expect(spec?.sources).toEqual({ "site-vcs": SOURCE });
  });

  it("leave a configuration's own inventory alone", () => {
    const own = { clone_url: "https://git.example.org/own.git", branch: "main" };
    const { spec } = runSpecOf([
      configurationFile(cfg({ layers: [], additional_inventory: own })),
      optionsFile({ additional_inventory_url: "https://git.example.org/inventory.git" }),
    ]);
    expect(spec?.additionalInventory).toEqual(own);
  });

  it("report a source option naming no source as a problem of cfs.yaml", () => {
    const { desired, spec } = runSpecOf([
      configurationFile(cfg({ layers: [] })),
      optionsFile({ additional_inventory_source: "gone" }),
    ]);
    expect(desired.problems.get("cfs.yaml")?.errors.map((e) => e.code)).toEqual(["unknown-source"]);
    expect(spec?.additionalInventory).toBeNull();
  });
});
