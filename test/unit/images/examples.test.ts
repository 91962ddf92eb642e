/** The image session example (examples/images/README.md): its manifests validate against schemas/. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { formatManifestError, parseManifest } from "../../../src/manifest/index.js";

const readme = readFileSync(
  fileURLToPath(new URL("../../../examples/images/README.md", import.meta.url)),
  "utf8",
);

/** Each ```yaml block whose first line names its repository path (`# sessions/x.yaml`). */
function manifestBlocks(): Array<{ path: string; text: string }> {
  const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) =>
    (m[1] ?? "").replace(/^ {3}/gm, ""),
  );
  return blocks.flatMap((text) => {
    const path = /^# ((?:sessions|configurations)\/\S+\.yaml)\n/.exec(text)?.[1];
    return path === undefined ? [] : [{ path, text }];
  });
}

describe("examples/images/README.md", () => {
  it("holds an image session and its configuration", () => {
    expect(manifestBlocks().map((b) => b.path)).toEqual([
      "configurations/image-tweaks.yaml",
      "sessions/compute-image-tweaks.yaml",
    ]);
  });

  it.each(manifestBlocks())("$path validates", ({ path, text }) => {
    const result = parseManifest({ path, bytes: Buffer.from(text), mode: "100644" });
    expect(result.ok ? [] : result.errors.map((e) => formatManifestError(path, e))).toEqual([]);
  });

  it("targets images, mapping the source to a result name", () => {
    const session = manifestBlocks().find((b) => b.path.startsWith("sessions/"));
    expect(parse(session?.text ?? "")).toMatchObject({
      target: {
        definition: "image",
        image_map: [
          { source_id: "902b4a80-3ac2-40d5-b65e-86ac3e12f209", result_name: "compute-base-tweaked" },
        ],
      },
    });
  });
});
