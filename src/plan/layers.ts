/** Choosing the layers a session runs (`configuration.limit`). */
import type { ResolvedConfiguration, PlannedLayer } from "../api/index.js";

/** The layers chosen by a limit, or a plain message saying which entry matched nothing. */
export type LayerSelection = { ok: true; layers: PlannedLayer[] } | { ok: false; message: string };

/** What CFS would do with a limit entry that names no layer, and what to write instead. */
export const CFS_LIMIT_NOTE =
  "CFS would silently skip an unknown index and keep every layer whose name occurs anywhere in the limit text; cfs-gitops matches each entry exactly, so that a typo never runs the wrong layers: write exact layer names or 0-based indices, separated by commas";

/** Name shown for a layer: its `name`, else `layer<i>`. */
export function layerDisplayName(layer: { name?: string }, index: number): string {
  return layer.name ?? `layer${index}`;
}

/**
 * Layers selected by a CFS `configuration.limit`: a comma list of layer names OR of indices,
 * matched exactly, in the order of the configuration. An empty limit selects every layer.
 */
export function selectLayers(configuration: ResolvedConfiguration, limit: string): LayerSelection {
  const all = configuration.layers.map((layer, index) => ({
    ...layer,
    index,
    displayName: layerDisplayName(layer, index),
  }));
  const wanted = limitEntries(limit);
  if (wanted.length === 0) return { ok: true, layers: all };
  const byIndex = wanted.every((entry) => /^[0-9]+$/.test(entry));
  const missing = wanted.filter((entry) =>
    byIndex ? Number(entry) >= all.length : !all.some((layer) => layer.name === entry),
  );
  if (missing.length > 0) {
    const what = byIndex ? "index" : "name";
    return {
      ok: false,
      message: `configuration.limit: no layer with ${what} ${missing.map((m) => `"${m}"`).join(", ")} in configuration "${configuration.name}" (it has ${describeLayers(configuration)}). ${CFS_LIMIT_NOTE}`,
    };
  }
  const chosen = all.filter((layer) =>
    byIndex ? wanted.includes(String(layer.index)) : layer.name !== undefined && wanted.includes(layer.name),
  );
  return { ok: true, layers: chosen };
}

/** True when a limit selects every layer (empty, or nothing but commas and blanks). */
export function selectsAllLayers(limit: string): boolean {
  return limitEntries(limit).length === 0;
}

function limitEntries(limit: string): string[] {
  return limit
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

function describeLayers(configuration: ResolvedConfiguration): string {
  const names = configuration.layers.map((layer, index) => `${index}: ${layer.name ?? "(unnamed)"}`);
  return `layers ${names.join(", ")}`;
}
