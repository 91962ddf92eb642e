/**
 * `configurations/<name>.json`: each configuration with its branch layers resolved to a commit. As
 * CFS resolves branches when a configuration is saved (never at session time), a branch is resolved
 * when the manifest changes, and that commit is used by every session and component of the
 * configuration until the manifest changes again (`configurations update --update-branches` pins it).
 */
import {
  withCleanCloneUrl,
  withoutUrlCredentials,
  type ResolvedConfiguration,
  type ConfigurationRecord,
  type ConfigurationRecordLayer,
  type SourceManifest,
} from "../api/index.js";
import { sameJson } from "./serialize.js";

/** A branch to resolve: which repository, which branch, and the source it is reached through. */
export interface BranchRef {
  url: string;
  branch: string;
  /** The source of a layer that names one: the resolver uses its credentials and CA. */
  source?: SourceManifest;
}

/** The key of a branch in the map of resolved commits. */
export function branchKey(ref: BranchRef): string {
  return `${ref.url}\0${ref.branch}`;
}

/**
 * The branches that must be resolved this pass: those of configurations with no record yet, or
 * whose manifest no longer matches its record (it was edited).
 */
export function branchesToResolve(
  configurations: ReadonlyMap<string, ResolvedConfiguration>,
  records: ReadonlyMap<string, ConfigurationRecord>,
  sources: ReadonlyMap<string, SourceManifest> = new Map(),
): BranchRef[] {
  const wanted = new Map<string, BranchRef>();
  for (const [name, manifest] of configurations) {
    const record = records.get(name);
    if (record && recordMatches(record, manifest)) continue;
    for (const layer of manifest.layers) {
      if (layer.commit !== undefined || layer.branch === undefined) continue;
      const source = layer.source === undefined ? undefined : sources.get(layer.source);
      const ref: BranchRef = { url: layer.clone_url, branch: layer.branch, ...(source ? { source } : {}) };
      wanted.set(branchKey(ref), ref);
    }
  }
  return [...wanted.values()];
}

/** Inputs of planConfigurationRecords. */
export interface ConfigurationRecordsInput {
  configurations: ReadonlyMap<string, ResolvedConfiguration>;
  records: ReadonlyMap<string, ConfigurationRecord>;
  /** Commits of the branches resolved this pass, by branchKey; a missing one keeps the old record. */
  resolved: ReadonlyMap<string, string>;
  /** `last_updated` of a record written now. */
  now: string;
}

/** The configuration records in force, and those that changed (null: delete). */
export interface ConfigurationRecordsOutput {
  current: Map<string, ConfigurationRecord>;
  changed: Map<string, ConfigurationRecord | null>;
}

/**
 * New records for edited or new configurations; records of removed ones are deleted. A record's
 * clone URLs carry no credentials (`https://***@host/...`); sessions still clone from the manifest's.
 */
export function planConfigurationRecords(input: ConfigurationRecordsInput): ConfigurationRecordsOutput {
  const current = new Map<string, ConfigurationRecord>();
  const changed = new Map<string, ConfigurationRecord | null>();
  for (const [name, manifest] of input.configurations) {
    const record = input.records.get(name);
    if (record && recordMatches(record, manifest)) {
      current.set(name, record);
      continue;
    }
    const next = buildRecord(manifest, input.resolved, input.now);
    if (next) {
      current.set(name, next);
      changed.set(name, next);
    } else if (record) current.set(name, record); // a branch could not be resolved yet: keep the old commits
  }
  for (const name of input.records.keys()) if (!input.configurations.has(name)) changed.set(name, null);
  return { current, changed };
}

function buildRecord(
  manifest: ResolvedConfiguration,
  resolved: ReadonlyMap<string, string>,
  now: string,
): ConfigurationRecord | null {
  const layers: ConfigurationRecordLayer[] = [];
  for (const layer of manifest.layers) {
    const commit =
      layer.commit ??
      (layer.branch === undefined
        ? undefined
        : resolved.get(branchKey({ url: layer.clone_url, branch: layer.branch })));
    if (commit === undefined) return null;
    layers.push(withCleanCloneUrl(stripUndefined({ ...layer, commit })));
  }
  return {
    name: manifest.name,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    last_updated: now,
    layers,
    ...(manifest.additional_inventory
      ? { additional_inventory: withCleanCloneUrl(manifest.additional_inventory) }
      : {}),
  };
}

/**
 * True when a record was made from this manifest (the same layers, branches and description); the
 * record's clone URLs carry no credentials, so the manifest's are compared without theirs.
 */
export function recordMatches(record: ConfigurationRecord, manifest: ResolvedConfiguration): boolean {
  const known = matched.get(record);
  if (known?.manifest === manifest) return known.matches;
  const matches = compareRecord(record, manifest);
  matched.set(record, { manifest, matches });
  return matches;
}

/**
 * recordMatches' last answer for each record object, with the manifest object it was given:
 * records and manifests are never changed in place (a change makes new objects), so a pass over
 * configurations that did not change compares none of them again (100 configurations: ~3 ms a pass).
 */
const matched = new WeakMap<ConfigurationRecord, { manifest: ResolvedConfiguration; matches: boolean }>();

function compareRecord(record: ConfigurationRecord, manifest: ResolvedConfiguration): boolean {
  const unresolved = {
    name: record.name,
    description: record.description,
    layers: record.layers.map((layer) =>
      stripUndefined({ ...layer, commit: layer.branch === undefined ? layer.commit : undefined }),
    ),
    additional_inventory: record.additional_inventory,
  };
  const wanted = {
    name: manifest.name,
    description: manifest.description,
    layers: manifest.layers.map((layer) => withCleanCloneUrl(stripUndefined({ ...layer }))),
    additional_inventory: manifest.additional_inventory && withCleanCloneUrl(manifest.additional_inventory),
  };
  return sameJson(stripUndefined(unresolved), stripUndefined(wanted));
}

/** The configuration a session or component runs: the manifest with each branch layer's commit filled in. */
export function resolvedConfiguration(
  manifest: ResolvedConfiguration,
  record: ConfigurationRecord | undefined,
): ResolvedConfiguration {
  if (!record || !manifest.layers.some((layer) => layer.commit === undefined)) return manifest;
  return {
    ...manifest,
    layers: manifest.layers.map((layer, index) => {
      const resolved = record.layers[index];
      const same =
        resolved?.clone_url === withoutUrlCredentials(layer.clone_url) && resolved.branch === layer.branch;
      return layer.commit === undefined && same ? { ...layer, commit: resolved.commit } : layer;
    }),
  };
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
