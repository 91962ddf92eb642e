/** Valid manifests of every kind, as YAML text, for the manifest room's tests. */
import { parseManifest, type ParseResult } from "../../../src/manifest/index.js";
import type { ManifestError } from "../../../src/api/index.js";

export const IMAGE_ID = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";
export const COMMIT = "2f1c0a8e4b7d9c3f5a6e1b2d4c8f0a9e7b3d5c1f";

/** Joins lines into a YAML text ending with a newline. */
export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}

/** A minimal valid session named `name`, with extra lines appended. */
export function session(name: string, ...extra: string[]): string {
  return yaml(
    "apiVersion: cfs-gitops/v1",
    "kind: Session",
    `name: ${name}`,
    "configuration:",
    "  name: base",
    ...extra,
  );
}

/** A minimal valid configuration named `name`, with `layerLines` as its layers (default: one layer). */
export function configuration(name: string, ...layerLines: string[]): string {
  const layers =
    layerLines.length > 0
      ? layerLines
      : [
          "  - clone_url: https://git.example.org/site/base.git",
          "    branch: main",
          "    playbook: site.yml",
        ];
  return yaml("apiVersion: cfs-gitops/v1", "kind: Configuration", `name: ${name}`, "layers:", ...layers);
}

/** A minimal valid component with id `id`, with extra lines appended. */
export function component(id: string, ...extra: string[]): string {
  return yaml("apiVersion: cfs-gitops/v1", "kind: Component", `id: ${id}`, ...extra);
}

/** A minimal valid options file, with extra lines appended. */
export function options(...extra: string[]): string {
  return yaml("apiVersion: cfs-gitops/v1", "kind: Options", ...extra);
}

/** The errors of parsing `text` at `path` (an empty list when it is valid). */
export function errorsOf(path: string, text: string | Uint8Array, mode?: string | number): ManifestError[] {
  const result: ParseResult = parseManifest(
    mode === undefined ? { path, bytes: text } : { path, bytes: text, mode },
  );
  return result.ok ? [] : result.errors;
}
