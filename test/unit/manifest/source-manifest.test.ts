/**
 * Sources (sources/<name>.yaml, CFS v3 sources): the shape `cray cfs v3 sources describe` prints is
 * a valid manifest; credentials are named, never written; layers and additional inventories name
 * a source instead of a clone_url.
 */
import { describe, expect, it } from "vitest";
import { parseManifest } from "../../../src/manifest/index.js";

function parse(path: string, text: string) {
  return parseManifest({ path, bytes: text });
}

describe("parseManifest: sources", () => {
  it("accepts the record `cray cfs v3 sources describe` prints, named by its file", () => {
    const text = [
      "name: site-vcs",
      "description: the site's own VCS",
      "clone_url: https://vcs.example.org/vcs/cray/site.git",
      "credentials:",
      "  authentication_method: password",
      "  secret_name: cfs-source-credentials-5e4b2c5c",
      "ca_cert:",
      "  configmap_name: site-ca",
      "  configmap_namespace: services",
      'last_updated: "2024-03-01T10:00:00Z"',
      "",
    ].join("\n");
    const result = parse("sources/site-vcs.yaml", text);
    expect(result).toMatchObject({ ok: true, kind: "Source", name: "site-vcs" });
    expect(result.ok && result.manifest).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Source",
      name: "site-vcs",
      description: "the site's own VCS",
      clone_url: "https://vcs.example.org/vcs/cray/site.git",
      credentials: { authentication_method: "password", secret_name: "cfs-source-credentials-5e4b2c5c" },
      ca_cert: { configmap_name: "site-ca", configmap_namespace: "services" },
    });
  });

  it("names a source without a name by its file stem", () => {
    const result = parse("sources/plain.yaml", "clone_url: https://git.example.org/plain.git\n");
    expect(result).toMatchObject({ ok: true, name: "plain", manifest: { name: "plain" } });
  });

  it.each([
    ["username", "  username: alice"],
    ["password", "  password: s3cret-in-clear"],
  ])("refuses a %s written in the repository, saying where it goes instead", (field, line) => {
    const text = [
      "clone_url: https://git.example.org/x.git",
      "credentials:",
      "  secret_name: x",
      line,
      "",
    ].join("\n");
    const result = parse("sources/x.yaml", text);
    expect(result.ok).toBe(false);
    const messages = result.ok ? [] : result.errors.map((e) => `${e.line}:${e.column} ${e.message}`);
    expect(messages.join("\n")).toContain(`4:`);
    expect(messages.join("\n")).toContain("secret_name");
    expect(messages.join("\n")).not.toContain("s3cret-in-clear");
    expect(messages.join("\n")).toContain(field);
  });

  it("refuses a source whose name is not its file's", () => {
    const result = parse("sources/a.yaml", "name: b\nclone_url: https://git.example.org/x.git\n");
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors[0]?.code).toBe("name-mismatch");
  });

  it("accepts layers and an additional inventory that name a source instead of a clone_url", () => {
    const text = [
      "layers:",
      "  - name: site",
      "    source: site-vcs",
      "    branch: main",
      "    playbook: site.yml",
      "additional_inventory:",
      "  source: site-vcs",
      "  commit: " + "a".repeat(40),
      "",
    ].join("\n");
    const result = parse("configurations/c.yaml", text);
    expect(result.ok).toBe(true);
    expect(result.ok && result.manifest).toMatchObject({
      layers: [{ source: "site-vcs", branch: "main", playbook: "site.yml" }],
      additional_inventory: { source: "site-vcs" },
    });
  });

  it("refuses two layers with the same source and playbook, as CFS does", () => {
    const layer = ["  - source: s", "    playbook: site.yml"];
    const result = parse("configurations/c.yaml", ["layers:", ...layer, ...layer, ""].join("\n"));
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors.map((e) => e.code)).toEqual(["duplicate-layer"]);
  });
});
