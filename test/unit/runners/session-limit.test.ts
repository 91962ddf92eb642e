import { describe, expect, it } from "vitest";
import type { SessionManifest } from "../../../src/api/index.js";
import {
  CFS_DEFAULTS_INVENTORY,
  CFS_DEFAULTS_INVENTORY_PATH,
  ansibleRunArgv,
  cloneRetryFromEnv,
  inventoryFiles,
  sessionLimit,
} from "../../../src/runners/steps/index.js";
import { parsePassthrough } from "../../../src/manifest/index.js";
import { layer, runSpec } from "../../helpers/ansible-fixtures.js";

const A = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";
const B = "11111111-2222-4333-8444-555555555555";

function session(extra: Partial<SessionManifest>): SessionManifest {
  return { apiVersion: "cfs-gitops/v1", kind: "Session", name: "s", configuration: { name: "c" }, ...extra };
}

describe("sessionLimit", () => {
  it.each<[string, Partial<SessionManifest>, string | null]>([
    ["a node session without a limit", {}, null],
    ["a node session with a limit", { ansible: { limit: "x1" } }, "x1"],
    [
      "an image session without a limit: its image hosts, each once",
      {
        target: {
          definition: "image",
          groups: [
            { name: "a", members: [A, B] },
            { name: "b", members: [A] },
          ],
        },
      },
      `${A},${B}`,
    ],
    [
      "an image session with a limit: the limit",
      {
        ansible: { limit: "cfs_image" },
        target: { definition: "image", groups: [{ name: "a", members: [A] }] },
      },
      "cfs_image",
    ],
  ])("%s", (_title, extra, limit) => {
    expect(sessionLimit(session(extra))).toBe(limit);
  });

  it("limits an image session's ansible-playbook to its image hosts (no live node of an additional inventory)", () => {
    const prepared = ansibleRunArgv({
      layer: layer(0, { clone_url: "u", commit: "c", playbook: "site.yml" }),
      session: session({ target: { definition: "image", groups: [{ name: "Compute", members: [A] }] } }),
      parsePassthrough,
    });
    expect(prepared).toEqual({ argv: ["-i", "hosts/", "--limit", A, "layer0/site.yml"], passthrough: [] });
  });
});

describe("inventoryFiles", () => {
  it.each(["dynamic", "spec", "repo"] as const)("gives a %s session cray_cfs_image: false", (definition) => {
    const target =
      definition === "spec"
        ? { definition, groups: [{ name: "g", members: ["localhost"] }] }
        : { definition };
    const planned = inventoryFiles(runSpec("s", [], { session: session({ target }) }));
    expect("files" in planned && planned.files[0]).toMatchObject({
      path: CFS_DEFAULTS_INVENTORY_PATH,
      text: CFS_DEFAULTS_INVENTORY,
    });
    expect(CFS_DEFAULTS_INVENTORY).toContain("all:\n  vars:\n    cray_cfs_image: false\n");
  });
});

describe("cloneRetryFromEnv", () => {
  it.each<[Record<string, string>, { attempts: number; delayMs: number }]>([
    [{}, { attempts: 60, delayMs: 10_000 }],
    [
      { GIT_RETRY_MAX: "3", GIT_RETRY_DELAY: "2" },
      { attempts: 3, delayMs: 2_000 },
    ],
    [
      { GIT_RETRY_MAX: "0", GIT_RETRY_DELAY: "soon" },
      { attempts: 60, delayMs: 10_000 },
    ],
    [
      { GIT_RETRY_MAX: "2", GIT_RETRY_DELAY: "0.5" },
      { attempts: 2, delayMs: 500 },
    ],
  ])("reads %j as CFS's clone container does", (env, expected) => {
    expect(cloneRetryFromEnv(env)).toMatchObject(expected);
  });
});
