import { readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { kindOfPath } from "../../../src/api/index.js";
import { formatManifestError, parseManifest } from "../../../src/manifest/index.js";

const examples = fileURLToPath(new URL("../../../examples/", import.meta.url));

/** Every file under examples/, as a repository path (`sessions/demo-spec.yaml`). */
function exampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? exampleFiles(join(dir, entry.name))
      : [relative(examples, join(dir, entry.name)).split(sep).join("/")],
  );
}

const files = exampleFiles(examples);
const manifests = files.filter((path) => kindOfPath(path) !== null);

describe("examples/", () => {
  it("holds the manifests the demo uses", () => {
    expect(manifests).toEqual(
      expect.arrayContaining([
        "configurations/demo-config.yaml",
        "sessions/demo-spec.yaml",
        "sessions/demo-dynamic.yaml",
        "components/x1000c0s0b0n0.yaml",
        "cfs.yaml",
      ]),
    );
  });

  it("holds no YAML outside the manifest folders except the layer repositories", () => {
    const stray = files.filter(
      (p) => /\.ya?ml$/.test(p) && kindOfPath(p) === null && !p.startsWith("layers/"),
    );
    expect(stray).toEqual([]);
  });

  it.each(manifests)("%s validates", (path) => {
    const result = parseManifest({ path, bytes: readFileSync(join(examples, path)), mode: "100644" });
    const errors = result.ok ? [] : result.errors.map((e) => formatManifestError(path, e));
    expect(errors).toEqual([]);
  });

  it("targets localhost in the spec session and uses the demo configuration", () => {
    const result = parseManifest({
      path: "sessions/demo-spec.yaml",
      bytes: readFileSync(join(examples, "sessions/demo-spec.yaml")),
    });
    expect(result).toMatchObject({
      ok: true,
      manifest: {
        configuration: { name: "demo-config" },
        target: { definition: "spec", groups: [{ name: "demo", members: ["localhost"] }] },
      },
    });
  });
});
