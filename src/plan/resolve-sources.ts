/**
 * Layers and additional inventories that name a `source` (sources/<name>.yaml, CFS v3 sources) get
 * the source's clone_url here, once, when the desired state is assembled; the rest of the planner
 * and the runners read a clone_url on every layer, and find the credentials by the kept `source`.
 */
import type {
  AdditionalInventory,
  ConfigurationLayer,
  ConfigurationManifest,
  ResolvedConfiguration,
  SourceManifest,
  WithCloneUrl,
} from "../api/index.js";

/** A reference that could not be resolved: where (a JSON pointer) and why, in CFS's words. */
export interface SourceIssue {
  pointer: string;
  message: string;
}

/** A configuration with its sources looked up, or every source it names that does not exist. */
export type SourceResolution =
  { ok: true; configuration: ResolvedConfiguration } | { ok: false; issues: SourceIssue[] };

/** Fill in the clone_url of every layer (and the additional inventory) that names a source. */
export function resolveSources(
  configuration: ConfigurationManifest,
  sources: ReadonlyMap<string, SourceManifest>,
): SourceResolution {
  const issues: SourceIssue[] = [];
  const layers = configuration.layers.map((layer, index) =>
    resolveEntry({ entry: layer, pointer: `/layers/${index}`, sources, issues }),
  );
  const inventory = configuration.additional_inventory;
  const resolvedInventory =
    inventory === undefined
      ? undefined
      : resolveEntry({ entry: inventory, pointer: "/additional_inventory", sources, issues });
  if (issues.length > 0) return { ok: false, issues };
  const { additional_inventory: _dropped, ...rest } = configuration;
  const out: ResolvedConfiguration = { ...rest, layers: layers as Array<WithCloneUrl<ConfigurationLayer>> };
  if (resolvedInventory !== undefined)
    out.additional_inventory = resolvedInventory as WithCloneUrl<AdditionalInventory>;
  return { ok: true, configuration: out };
}

/** The sources a set of layers and an inventory name, by name (for a RunSpec). */
export function sourcesUsed(
  entries: ReadonlyArray<{ source?: string }>,
  sources: ReadonlyMap<string, SourceManifest>,
): Record<string, SourceManifest> {
  const out: Record<string, SourceManifest> = {};
  for (const { source } of entries) {
    const found = source === undefined ? undefined : sources.get(source);
    if (found !== undefined) out[found.name] = found;
  }
  return out;
}

/** CFS's words for a source that does not exist, and what to do about it. */
export function missingSourceMessage(name: string, known: readonly string[]): string {
  const names = known.length > 0 ? known.map((n) => `"${n}"`).join(", ") : "(none defined yet)";
  return `The source ${name} does not exist. Add sources/${name}.yaml, or name one of ${names}`;
}

function resolveEntry<T extends { clone_url?: string; source?: string }>(input: {
  entry: T;
  pointer: string;
  sources: ReadonlyMap<string, SourceManifest>;
  issues: SourceIssue[];
}): T {
  const { entry } = input;
  if (entry.source === undefined) return entry;
  const source = input.sources.get(entry.source);
  if (source === undefined) {
    const known = [...input.sources.keys()].sort().slice(0, 10);
    input.issues.push({
      pointer: `${input.pointer}/source`,
      message: missingSourceMessage(entry.source, known),
    });
    return entry;
  }
  return { ...entry, clone_url: source.clone_url };
}

/**
 * The additional inventory of a session: its configuration's, else the option
 * `additional_inventory_source` (the source's repository, at its default branch), else the option
 * `additional_inventory_url`, as CFS's clone step chooses; null when none applies. An option naming
 * a source that does not exist gives none here (cfs.yaml carries the problem).
 */
export function effectiveAdditionalInventory(input: {
  configuration: ResolvedConfiguration;
  options: { additional_inventory_url?: string; additional_inventory_source?: string } | null;
  sources: ReadonlyMap<string, SourceManifest>;
}): WithCloneUrl<AdditionalInventory> | null {
  if (input.configuration.additional_inventory !== undefined) return input.configuration.additional_inventory;
  const sourceName = input.options?.additional_inventory_source ?? "";
  if (sourceName !== "") {
    const source = input.sources.get(sourceName);
    return source === undefined ? null : { source: source.name, clone_url: source.clone_url };
  }
  const url = input.options?.additional_inventory_url ?? "";
  return url === "" ? null : { clone_url: url };
}
