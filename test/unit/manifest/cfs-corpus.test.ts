/**
 * The CFS corpus (test/fixtures/cfs-corpus/): request bodies and records in the shapes CFS's
 * documentation shows for `sessions create`, `sessions describe`, `configurations describe`,
 * `PUT /v3/configurations/{name}` and `sources describe`, laid out as a configuration repository. Every file is a valid
 * manifest, and together they make a desired state with no problems.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SessionManifest } from "../../../src/api/index.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { assembleDesired, type RepoFile } from "../../../src/plan/index.js";

const ROOT = join(import.meta.dirname, "../../fixtures/cfs-corpus");

function corpusFiles(): RepoFile[] {
  return ["sessions", "configurations", "sources"].flatMap((dir) =>
    readdirSync(join(ROOT, dir))
      .sort()
      .map((file) => {
        const path = `${dir}/${file}`;
        const parsed = parseManifest({ path, bytes: readFileSync(join(ROOT, path)) });
        return { path, blob: path, commit: "c0", parsed };
      }),
  );
}

describe("the CFS corpus", () => {
  const files = corpusFiles();

  it("holds the documented shapes, every one a valid manifest, with no problem across files", () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    const refused = files.filter((f) => !f.parsed.ok).map((f) => [f.path, f.parsed]);
    expect(refused).toEqual([]);
    const desired = assembleDesired({ commit: "c0", files, locate: () => ({ line: 1, column: 1 }) });
    expect([...desired.problems.values()]).toEqual([]);
    expect(desired.sessions.size).toBe(files.filter((f) => f.path.startsWith("sessions/")).length);
  });

  it("reads each with CFS's meaning", () => {
    const desired = assembleDesired({ commit: "c0", files, locate: () => ({ line: 1, column: 1 }) });
    const session = (name: string): SessionManifest | undefined => desired.sessions.get(name)?.manifest;
    expect(session("create-dynamic")).toMatchObject({
      configuration: { name: "example-config", limit: "" },
      target: { definition: "dynamic" },
    });
    expect(session("create-dynamic")?.target).not.toHaveProperty("groups");
    expect(session("create-image")?.target?.groups?.[0]?.members).toEqual([
      "902b4a80-3ac2-40d5-b65e-86ac3e12f209",
    ]);
    expect(session("create-spec")?.ansible?.passthrough).toBe("--extra cfs_note=corpus --tags motd");
    expect(session("example-session")).not.toHaveProperty("status");
    expect(session("example-session")?.ansible).toEqual({ config: "cfs-default-ansible-cfg", verbosity: 4 });
    const example = desired.configurations.get("example-config");
    expect(example?.tenant_name).toBe("");
    expect(example?.layers[0]).toMatchObject({
      branch: "main",
      commit: "43ecfa8236bed625b54325ebb70916f55884b3a4",
    });
    expect(desired.configurations.get("inventory-config")?.name).toBe("inventory-config");
    expect(desired.configurations.get("empty-config")?.layers).toEqual([]);
  });
});
