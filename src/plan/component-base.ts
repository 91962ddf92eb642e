/**
 * What a pass derives from the component manifests and the component records alone: each
 * component's record brought in line with its manifest, the reconfigure counters to act on, the
 * records to delete. It changes only when the desired state or the records change, so it is kept
 * between passes under a version (as the controller keeps the desired state): a pass with nothing
 * new over 10,000 components compares no manifest with its record.
 */
import { manifestPath, type ComponentRecord } from "../api/index.js";
import { retryLimit } from "./component-status.js";
import { componentFromManifest, matchesManifest } from "./component-state.js";
import type { DesiredBase, DesiredState } from "./desired.js";

/** See the module comment. Never changed once made: a pass copies a made record before changing it. */
export interface ComponentBase {
  /**
   * The desired state's base it was made from (compared by identity): the component manifests,
   * the options and which component files are present change only with a new base.
   */
  desiredBase: DesiredBase;
  /** The version of the component records it was made from. */
  version: number;
  /** Each component of the manifests: its recorded record when that still matches, else a new one. */
  records: ReadonlyMap<string, ComponentRecord>;
  /** Ids whose record in `records` is new (differs from, or is missing in, the recorded ones). */
  made: readonly string[];
  /** Reconfigure counters that changed (null: forget it). */
  reconfigure: ReadonlyMap<string, number | null>;
  /** Recorded components with no manifest and no file left: their records go. */
  gone: readonly string[];
}

/** Inputs of componentBase. */
export interface ComponentBaseInput {
  desired: DesiredState;
  components: ReadonlyMap<string, ComponentRecord>;
  reconfigureSeen: ReadonlyMap<string, number>;
  /** The version of `components` and `reconfigureSeen`: goes up whenever either changes (null: unknown). */
  version: number | null;
  /** The base of an earlier pass. */
  previous: ComponentBase | null;
}

/** The previous base when the desired state and the records are the ones it was made from; else a new one. */
export function componentBase(input: ComponentBaseInput): ComponentBase {
  const { previous } = input;
  if (
    previous !== null &&
    input.version !== null &&
    previous.desiredBase === input.desired.base &&
    previous.version === input.version
  )
    return previous;
  const reconfigure = reconfigureChanges(input);
  const { records, made } = baseRecords(input, reconfigure);
  const gone = [...input.components.keys()].filter(
    (id) => !records.has(id) && !hasManifestFile(input.desired, id),
  );
  return {
    desiredBase: input.desired.base,
    version: input.version ?? -1,
    records,
    made,
    reconfigure,
    gone,
  };
}

/**
 * The reconfigure counters that changed: a component whose manifest's counter differs from the one
 * last acted on is reconfigured (a component seen for the first time only has its counter noted).
 */
function reconfigureChanges(input: ComponentBaseInput): Map<string, number | null> {
  const seen = input.reconfigureSeen;
  const changes = new Map<string, number | null>();
  const present = new Set<string>();
  for (const manifest of input.desired.components) {
    present.add(manifest.id);
    const value = manifest.reconfigure ?? 0;
    if (value !== (seen.get(manifest.id) ?? 0)) changes.set(manifest.id, value === 0 ? null : value);
  }
  for (const id of seen.keys()) {
    if (!present.has(id) && !hasManifestFile(input.desired, id)) changes.set(id, null);
  }
  return changes;
}

function baseRecords(
  input: ComponentBaseInput,
  reconfigure: ReadonlyMap<string, number | null>,
): { records: Map<string, ComponentRecord>; made: string[] } {
  const records = new Map<string, ComponentRecord>();
  const made: string[] = [];
  const option = input.desired.options?.default_batcher_retry_policy;
  for (const manifest of input.desired.components) {
    const record = input.components.get(manifest.id);
    const retries = retryLimit(manifest.retry_policy, option);
    const reconfigured = reconfigure.has(manifest.id) && record !== undefined;
    if (record && !reconfigured && matchesManifest(record, manifest, retries)) {
      records.set(manifest.id, record);
      continue;
    }
    records.set(manifest.id, componentFromManifest({ manifest, record, retries, reconfigured }));
    made.push(manifest.id);
  }
  return { records, made };
}

/**
 * True when the component's file is still on the branch although it cannot be used (a syntax or
 * schema error): its record is kept as it is until the file is fixed or removed, so a typo loses
 * no recorded state.
 */
export function hasManifestFile(desired: DesiredState, id: string): boolean {
  const path = manifestPath("Component", id);
  return desired.presentPaths.has(path) || desired.presentPaths.has(path.replace(/\.yaml$/, ".yml"));
}
