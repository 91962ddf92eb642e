import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComponentRecord } from "../../../src/api/index.js";
import { referenceSpecPath } from "../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "./cfs-openapi.js";
import { startCliRepo, type CliRepo } from "./cli-harness.js";

let repo: CliRepo;
const ID = "x1000c0s0b0n0";

beforeAll(async () => {
  repo = await startCliRepo({
    "components/x1000c0s0b0n1.yaml":
      "apiVersion: cfs-gitops/v1\nkind: Component\nid: x1000c0s0b0n1\n# kept by edits\ntags:\n  rack: r1\n",
  });
});

afterAll(async () => {
  await repo.close();
});

const show = (path: string) => repo.git(["show", `main:${path}`]);
const tip = async () => (await repo.git(["rev-parse", "main"])).trim();

const recorded: ComponentRecord = {
  id: ID,
  configuration_status: "configured",
  desired_config: "site",
  desired_state: [
    {
      clone_url: "https://git.example.org/site/base.git",
      playbook: "site.yml",
      commit: "a".repeat(40),
      status: "configured",
    },
  ],
  enabled: true,
  error_count: 0,
  logs: "",
  retry_policy: 3,
  state: [
    {
      clone_url: "https://git.example.org/site/base.git",
      playbook: "site.yml",
      commit: "a".repeat(40),
      status: "applied",
      last_updated: "2026-11-21T11:00:00Z",
      session_name: "batcher-0123456789abcdef",
    },
  ],
  tags: {},
};

describe("components list and describe", () => {
  it("shows a component the controller has not recorded yet from its manifest", async () => {
    const out = await repo.run(["components", "list", "--format", "json"]);
    expect(out.code).toBe(0);
    const { components, next } = JSON.parse(out.stdout) as { components: ComponentRecord[]; next: unknown };
    expect(next).toBeNull();
    expect(components.map((c) => [c.id, c.configuration_status, c.desired_config])).toEqual([
      [ID, "pending", "site"],
      ["x1000c0s0b0n1", "unconfigured", ""],
    ]);
  });

  it("reads records from the status branch, filters like CFS, and describe prints V3ComponentData", async (context) => {
    await repo.writeStatus({ [`components/${ID}.json`]: recorded });
    const configured = await repo.run(["components", "list", "--status", "configured", "--format", "json"]);
    expect((JSON.parse(configured.stdout) as { components: ComponentRecord[] }).components).toEqual([
      recorded,
    ]);
    const byTag = await repo.run(["components", "list", "--tags", "rack=r1"]);
    expect(byTag.stdout).toMatch(/^ID\s+STATUS/);
    expect(byTag.stdout).toContain("x1000c0s0b0n1");
    expect(byTag.stdout).not.toContain(ID);
    const described = await repo.run(["components", "describe", ID]);
    const record = JSON.parse(described.stdout) as ComponentRecord;
    expect(record).toEqual(recorded);
    const table = await repo.run(["components", "describe", ID, "--format", "table"]);
    expect(table.stdout).toContain("batcher-0123456789abcdef");
    const missing = await repo.run(["components", "describe", "nope"]);
    expect(missing).toMatchObject({ code: 1, stderr: "cfs-gitops: Component nope could not be found\n" });
    const bad = await repo.run(["components", "list", "--status", "done"]);
    expect(bad.code).toBe(2);
    // Last, so that without the spec only this check is skipped (with its reason).
    const validate = cfsSchemaValidator({
      spec: referenceSpecPath(context, "cfs"),
      name: "V3ComponentData",
      patch: (schemas) => {
        const properties = (schemas["V3ComponentData"] as { properties: Record<string, unknown> }).properties;
        properties["desired_state"] = { type: "array" }; // CFS prints layer statuses there (see test/e2e/components.test.ts)
      },
    });
    expect(validate(record), JSON.stringify(validate.errors)).toBe(true);
  });
});

describe("components update and delete", () => {
  it("edits several components in one commit, keeping comments, and refuses an unknown configuration", async () => {
    const before = await tip();
    const refused = await repo.run([
      "components",
      "update",
      "--ids",
      `${ID},x1000c0s0b0n1`,
      "--desired-config",
      "nope",
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/desired_config "nope" does not exist/);
    expect(await tip()).toBe(before);

    const updated = await repo.run([
      "components",
      "update",
      "--ids",
      `${ID},x1000c0s0b0n1`,
      "--enabled",
      "false",
      "--retry-policy",
      "-1",
      "--tags",
      "rack=,role=compute",
      "--reconfigure",
    ]);
    expect(updated.code).toBe(0);
    expect(updated.stderr).toMatch(
      /^pushed [0-9a-f]{12} to main: Update components x1000c0s0b0n0, x1000c0s0b0n1\n$/,
    );
    expect(await repo.git(["rev-list", "--count", `${before}..main`])).toBe("1\n");
    const n1 = await show("components/x1000c0s0b0n1.yaml");
    expect(n1).toContain("# kept by edits");
    expect(parse(n1)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Component",
      id: "x1000c0s0b0n1",
      tags: { role: "compute" },
      enabled: false,
      retry_policy: -1,
      reconfigure: 1,
    });
    await repo.run(["components", "update", ID, "--reconfigure"]);
    expect(parse(await show(`components/${ID}.yaml`))).toMatchObject({
      reconfigure: 2,
      desired_config: "site",
    });
  });

  it("deletes components in one commit", async () => {
    const out = await repo.run(["components", "delete", "x1000c0s0b0n1"]);
    expect(out.code).toBe(0);
    await expect(show("components/x1000c0s0b0n1.yaml")).rejects.toThrow();
    const missing = await repo.run(["components", "delete", "x1000c0s0b0n1"]);
    expect(missing.stderr).toBe("cfs-gitops: Component x1000c0s0b0n1 could not be found\n");
  });
});
