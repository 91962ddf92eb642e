import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sessionRecordPath } from "../../../src/api/index.js";
import { git } from "../../helpers/git-fixture.js";
import { referenceSpecPath } from "../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "./cfs-openapi.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

let repo: CliRepo;
let layerUrl: string;
let layerTip: string;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/uses-lone.yaml": sessionManifest("uses-lone").replace("name: site", "name: lone"),
    "configurations/lone.yaml":
      "apiVersion: cfs-gitops/v1\nkind: Configuration\nname: lone\nlayers:\n  - clone_url: https://git.example.org/x.git\n    commit: dddd444444444444444444444444444444444444\n    playbook: site.yml\n",
  });
  // A layer repository on the same server (same origin: the CLI sends its credentials there too).
  const layerWork = join(repo.dir, "layer-work");
  const layerBare = join(repo.bare, "..", "layer-base.git");
  await git(["init", "--quiet", "--initial-branch=main", layerWork]);
  writeFileSync(join(layerWork, "site.yml"), "- hosts: all\n  tasks: []\n");
  await git(["-C", layerWork, "add", "-A"]);
  await git(["-C", layerWork, "commit", "--quiet", "-m", "layer"]);
  await git(["init", "--quiet", "--bare", "--initial-branch=main", layerBare]);
  await git(["-C", layerWork, "push", "--quiet", layerBare, "main", "main:release"]);
  layerTip = (await git(["-C", layerWork, "rev-parse", "HEAD"])).trim();
  layerUrl = repo.server.url("layer-base.git");
});

afterAll(async () => {
  await repo.close();
});

const show = (path: string, ref = "main") => repo.git(["show", `${ref}:${path}`]);
const tip = async () => (await repo.git(["rev-parse", "main"])).trim();

describe("configurations create and describe", () => {
  it("writes configurations/<name>.yaml from --layer flags, and describe prints CFS's keys", async () => {
    const created = await repo.run([
      "configurations",
      "create",
      "web",
      "--description",
      "web servers",
      "--layer",
      `name=base,clone_url=${layerUrl},branch=main,playbook=site.yml`,
      "--layer",
      // Another playbook of the same repository: CFS refuses two layers with the same repository and playbook.
      `name=app,clone_url=${layerUrl},branch=release,playbook=app.yml,ims_require_dkms=true`,
    ]);
    expect(created.stderr).toMatch(/^pushed [0-9a-f]{12} to main: Add configuration web\n$/);
    expect(parse(await show("configurations/web.yaml"))).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Configuration",
      name: "web",
      description: "web servers",
      layers: [
        { name: "base", clone_url: layerUrl, branch: "main", playbook: "site.yml" },
        {
          name: "app",
          clone_url: layerUrl,
          branch: "release",
          playbook: "app.yml",
          special_parameters: { ims_require_dkms: true },
        },
      ],
    });
    const described = await repo.run(["configurations", "describe", "web"]);
    const data = JSON.parse(described.stdout) as Record<string, unknown>;
    expect(Object.keys(data)).toEqual(["name", "description", "last_updated", "layers"]);
    expect(data["last_updated"]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  it("describe prints a record that validates against V3ConfigurationData from the CFS OpenAPI file", async (context) => {
    const validate = cfsSchemaValidator({
      spec: referenceSpecPath(context, "cfs"),
      name: "V3ConfigurationData",
    });
    const data = JSON.parse((await repo.run(["configurations", "describe", "web"])).stdout) as unknown;
    expect(validate(data), JSON.stringify(validate.errors)).toBe(true);
  });

  it("refuses a name that exists, an invalid configuration (with file:line:col), and a missing one", async () => {
    const before = await tip();
    const exists = await repo.run([
      "configurations",
      "create",
      "site",
      "--layer",
      `clone_url=${layerUrl},branch=main,playbook=site.yml`,
    ]);
    expect(exists.stderr).toBe("cfs-gitops: Configuration site already exists: use configurations update\n");
    const invalid = await repo.run([
      "configurations",
      "create",
      "broken",
      "--layer",
      `clone_url=${layerUrl},branch=main`,
    ]);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(
      /^cfs-gitops: configuration broken would be invalid: configurations\/broken\.yaml:\d+:\d+: .*playbook/,
    );
    const badKey = await repo.run(["configurations", "create", "bad", "--layer", "url=x"]);
    expect(badKey.code).toBe(2);
    const none = await repo.run(["configurations", "describe", "nope"]);
    expect(none.stderr).toBe("cfs-gitops: Configuration nope could not be found\n");
    expect(await tip()).toBe(before);
  });
});

describe("configurations list", () => {
  it("lists valid configurations with CFS paging and the in_use filter", async () => {
    const table = await repo.run(["configurations", "list"]);
    expect(table.stdout.split("\n")[0]).toMatch(/^NAME\s+LAYERS\s+LAST UPDATED\s+DESCRIPTION$/);
    const json = JSON.parse((await repo.run(["configurations", "list", "--format", "json"])).stdout) as {
      configurations: Array<{ name: string }>;
      next: unknown;
    };
    expect(json.configurations.map((c) => c.name)).toEqual(["lone", "site", "web"]);
    expect(json.next).toBeNull();
    const used = JSON.parse(
      (await repo.run(["configurations", "list", "--format", "json", "--in-use", "true"])).stdout,
    ) as typeof json;
    expect(used.configurations.map((c) => c.name)).toEqual(["site"]);
    const paged = JSON.parse(
      (await repo.run(["configurations", "list", "--format", "json", "--limit", "1", "--after", "lone"]))
        .stdout,
    ) as typeof json;
    expect(paged.configurations.map((c) => c.name)).toEqual(["site"]);
    expect(paged.next).toEqual({ limit: 1, after_id: "site" });
  });
});

describe("configurations update", () => {
  it("--update-branches pins every branch layer to its current commit, in one commit, keeping the file's shape", async () => {
    const before = await tip();
    const result = await repo.run(["configurations", "update", "web", "--update-branches"]);
    expect(result.code).toBe(0);
    expect((await repo.git(["rev-list", "--count", `${before}..main`])).trim()).toBe("1");
    const text = await show("configurations/web.yaml");
    expect(text).toContain(`commit: ${layerTip} # was branch main, resolved 2026-11-21T12:00:00Z`);
    expect(text).toContain(`commit: ${layerTip} # was branch release, resolved 2026-11-21T12:00:00Z`);
    expect(text).not.toContain("branch:");
    expect((await repo.git(["log", "-1", "--format=%B", "main"])).trim()).toBe(
      `Pin configuration web to current commits\n\n- layer base: branch main -> ${layerTip}\n- layer app: branch release -> ${layerTip}`,
    );
    const again = await repo.run(["configurations", "update", "web", "--update-branches"]);
    expect(again).toMatchObject({ code: 0 });
    expect(again.stderr).toContain("nothing to update");
    const missing = await repo.run(["configurations", "update", "gone", "--update-branches"]);
    expect(missing.stderr).toBe("cfs-gitops: Configuration gone could not be found\n");
  });

  it("--update-branches says which branch does not exist", async () => {
    await repo.push({
      "configurations/stale.yaml": `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: stale\nlayers:\n  - clone_url: ${layerUrl}\n    branch: gone\n    playbook: site.yml\n`,
    });
    const result = await repo.run(["configurations", "update", "stale", "--update-branches"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(`cfs-gitops: branch gone does not exist in ${layerUrl}\n`);
  });

  it("replaces the layers from a file in CFS's describe shape, and refuses a change that breaks a session", async () => {
    const described = JSON.parse((await repo.run(["configurations", "describe", "lone"])).stdout) as {
      layers: Array<Record<string, unknown>>;
    };
    described.layers[0] = { ...described.layers[0], name: "first" };
    const file = join(repo.dir, "lone.json");
    writeFileSync(file, JSON.stringify(described));
    const updated = await repo.run(["configurations", "update", "lone", "--file", file]);
    expect(updated.code).toBe(0);
    expect(parse(await show("configurations/lone.yaml"))).toMatchObject({ layers: [{ name: "first" }] });
    await repo.push({
      "sessions/limited.yaml": sessionManifest("limited", "").replace(
        "name: site",
        "name: lone\n  limit: first",
      ),
    });
    writeFileSync(file, JSON.stringify({ layers: [{ ...described.layers[0], name: "renamed" }] }));
    const breaking = await repo.run(["configurations", "update", "lone", "--file", file]);
    expect(breaking.code).toBe(2);
    expect(breaking.stderr).toMatch(
      /would be invalid: sessions\/limited\.yaml:\d+:\d+: configuration\.limit: no layer with name "first"/,
    );
  });
});

describe("configurations delete", () => {
  it("is refused while a component or an unfinished session uses the configuration", async () => {
    const component = await repo.run(["configurations", "delete", "site"]);
    expect(component.stderr).toBe(
      "cfs-gitops: Configuration site is in use: it is the desired_config of components x1000c0s0b0n0\n",
    );
    const session = await repo.run(["configurations", "delete", "lone"]);
    expect(session.stderr).toBe(
      "cfs-gitops: Configuration lone is in use by unfinished sessions limited, uses-lone: wait for them to complete, or delete them\n",
    );
  });

  it("deletes it once the sessions using it are complete, noting the manifests that still name it", async () => {
    await repo.writeStatus({
      [sessionRecordPath("uses-lone")]: sessionRecord({
        name: "uses-lone",
        status: "complete",
        configuration: "lone",
      }),
      [sessionRecordPath("limited")]: sessionRecord({
        name: "limited",
        status: "complete",
        configuration: "lone",
      }),
    });
    const result = await repo.run(["configurations", "delete", "lone"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("note: finished sessions limited, uses-lone still name lone");
    expect(result.stderr).toContain("Delete configuration lone");
    const files = await repo.git(["ls-tree", "-r", "--name-only", "main", "configurations/"]);
    expect(files).not.toContain("configurations/lone.yaml");
  });
});
