import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  branchRefs,
  configurationFromFile,
  configurationYaml,
  layerFromSpec,
  pinBranches,
} from "../../../src/cli/configuration-edit.js";
import { CliError } from "../../../src/cli/errors.js";

const TEXT = `# yaml-language-server: $schema=../schemas/configuration.schema.json
apiVersion: cfs-gitops/v1
kind: Configuration
name: site
layers:
  - name: base # the OS layer
    clone_url: https://git.example.org/base.git
    branch: main
    playbook: site.yml
  - name: app
    clone_url: https://git.example.org/app.git
    commit: abcdef7890123456789012345678901234567890
    playbook: app.yml
additional_inventory:
  clone_url: https://git.example.org/inv.git
  branch: prod
`;

describe("pinBranches", () => {
  it("moves the commit of a layer that keeps its branch next to it, as CFS's update branches does", () => {
    const old = "b".repeat(40);
    const sha = "c".repeat(40);
    const text = `name: site\nlayers:\n  - clone_url: u\n    branch: main\n    commit: ${old}\n    playbook: p\n`;
    const refs = branchRefs(parse(text) as Parameters<typeof branchRefs>[0]);
    const pinned = pinBranches({ text, commits: new Map(refs.map((r) => [r.where, sha])), when: "T" });
    expect(pinned).toBe(text.replace(old, `${sha} # tip of branch main, resolved T`));
  });

  it("replaces each branch by its commit in place, keeping comments and order", () => {
    const sha = "a".repeat(40);
    const manifest = parse(TEXT) as Parameters<typeof branchRefs>[0];
    const refs = branchRefs(manifest);
    expect(refs.map((r) => [r.where, r.branch])).toEqual([
      ["layers/0", "main"],
      ["additional_inventory", "prod"],
    ]);
    const text = pinBranches({
      text: TEXT,
      commits: new Map(refs.map((r) => [r.where, sha])),
      when: "2026-11-21T12:00:00Z",
    });
    expect(text).toBe(
      TEXT.replace(
        "    branch: main\n",
        `    commit: ${sha} # was branch main, resolved 2026-11-21T12:00:00Z\n`,
      ).replace("  branch: prod\n", `  commit: ${sha} # was branch prod, resolved 2026-11-21T12:00:00Z\n`),
    );
  });
});

describe("configurationFromFile", () => {
  it("takes CFS's describe output (dropping last_updated, keeping tenant_name) or a manifest", () => {
    const fromDescribe = JSON.stringify({
      name: "site",
      last_updated: "2026-01-01T00:00:00Z",
      tenant_name: "",
      layers: [{ clone_url: "u", commit: "c", playbook: "p" }],
    });
    expect(configurationFromFile({ name: "site", file: "f.json", text: fromDescribe })).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Configuration",
      name: "site",
      tenant_name: "",
      layers: [{ clone_url: "u", commit: "c", playbook: "p" }],
    });
    expect(configurationFromFile({ name: "site", file: "f.yaml", text: TEXT }).layers).toHaveLength(2);
  });

  it("refuses another name, a list, or broken text", () => {
    expect(() =>
      configurationFromFile({ name: "site", file: "f", text: "name: other\nlayers: []\n" }),
    ).toThrow('f: name "other" does not match site');
    expect(() => configurationFromFile({ name: "site", file: "f", text: "- a\n" })).toThrow(CliError);
    expect(() => configurationFromFile({ name: "site", file: "f", text: "{" })).toThrow(
      /not valid YAML or JSON/,
    );
  });
});

describe("layerFromSpec and configurationYaml", () => {
  it("reads key=value layers and writes them in a readable order", () => {
    const layer = layerFromSpec(
      "playbook=site.yml,branch=main,clone_url=https://x/base.git,name=base,ims_require_dkms=true",
    );
    expect(layer).toEqual({
      playbook: "site.yml",
      branch: "main",
      clone_url: "https://x/base.git",
      name: "base",
      special_parameters: { ims_require_dkms: true },
    });
    const text = configurationYaml({
      apiVersion: "cfs-gitops/v1",
      kind: "Configuration",
      name: "c",
      layers: [layer],
    });
    expect(text).toBe(
      "apiVersion: cfs-gitops/v1\nkind: Configuration\nname: c\nlayers:\n  - name: base\n    clone_url: https://x/base.git\n    branch: main\n    playbook: site.yml\n    special_parameters:\n      ims_require_dkms: true\n",
    );
    expect(() => layerFromSpec("url=x")).toThrow(/expected key=value pairs with keys name, clone_url/);
  });
});
