/**
 * The bench's component data: `components/<id>.yaml` manifests whose desired_config cycles over the
 * generated configurations, and the status records of components already configured (the records
 * the controller itself would have written: same functions, same shape). Pure and deterministic.
 */
import {
  componentRecordPath,
  configurationRecordPath,
  manifestPath,
  type ComponentManifest,
  type ComponentRecord,
  type ComponentStateLayer,
  type ResolvedConfiguration,
  type ConfigurationRecord,
} from "../../src/api/index.js";
import {
  componentFromManifest,
  configurationStatus,
  planConfigurationRecords,
  retryLimit,
  stableJson,
} from "../../src/plan/index.js";
import { configurationName, configurationYaml, fakeCommit, LAYERS_PER_CONFIGURATION } from "./generate.js";

/** How many components, over how many configurations; `shift` moves every desired_config by one. */
export interface ComponentShape {
  components: number;
  configurations: number;
  /** 0: component i wants configuration i mod configurations; 1: the next one (the change commit). */
  shift: number;
}

/** `x3000c0s5b0n3`: an x-name, unique for the first 8 * 64 * 1000 indices. */
export function componentId(index: number): string {
  const cabinet = 3000 + Math.floor(index / 512);
  return `x${cabinet}c0s${Math.floor(index / 8) % 64}b0n${index % 8}`;
}

/** The configuration component `index` wants under `shape`. */
export function desiredConfigOf(index: number, shape: ComponentShape): string {
  return configurationName((index + shape.shift) % shape.configurations);
}

/** The YAML a site (or BOS) would write for component `index`. */
export function componentYaml(index: number, shape: ComponentShape): string {
  return [
    "apiVersion: cfs-gitops/v1",
    "kind: Component",
    `id: ${componentId(index)}`,
    `desired_config: ${desiredConfigOf(index, shape)}`,
    "groups: [Compute]",
    "role: Compute",
    "",
  ].join("\n");
}

/** The component files of `shape` (paths under components/). */
export function componentFiles(shape: ComponentShape): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < shape.components; i++) {
    files.set(manifestPath("Component", componentId(i)), Buffer.from(componentYaml(i, shape)));
  }
  return files;
}

/** A configuration manifest as the parser returns configurationYaml(index). */
function configurationManifest(index: number): ResolvedConfiguration {
  const name = configurationName(index);
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Configuration",
    name,
    layers: ["base", "site", "app"].slice(0, LAYERS_PER_CONFIGURATION).map((layer) => ({
      name: layer,
      clone_url: `https://git.example.org/site/${layer}.git`,
      commit: fakeCommit(`${name}/${layer}`),
      playbook: `${layer}.yml`,
    })),
  };
}

/** The repository's configuration files (the same text generate.ts writes). */
export function configurationFiles(configurations: number): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (let c = 0; c < configurations; c++) {
    files.set(manifestPath("Configuration", configurationName(c)), Buffer.from(configurationYaml(c)));
  }
  return files;
}

/** The configuration records the controller writes for the generated configurations. */
export function configurationRecords(configurations: number, now: string): Map<string, ConfigurationRecord> {
  const manifests = new Map<string, ResolvedConfiguration>();
  for (let c = 0; c < configurations; c++) manifests.set(configurationName(c), configurationManifest(c));
  const { current } = planConfigurationRecords({
    configurations: manifests,
    records: new Map(),
    resolved: new Map(),
    now,
  });
  return current;
}

/** The record of component `index`: every layer of its desired configuration applied (configured). */
export function configuredRecord(
  index: number,
  input: { shape: ComponentShape; configurations: ReadonlyMap<string, ConfigurationRecord>; now: string },
): ComponentRecord {
  const manifest: ComponentManifest = {
    apiVersion: "cfs-gitops/v1",
    kind: "Component",
    id: componentId(index),
    desired_config: desiredConfigOf(index, input.shape),
  };
  const record = componentFromManifest({
    manifest,
    record: undefined,
    retries: retryLimit(undefined, undefined),
    reconfigured: false,
  });
  const layers = input.configurations.get(record.desired_config)?.layers ?? [];
  const state: ComponentStateLayer[] = layers.map((layer) => ({
    clone_url: layer.clone_url,
    playbook: layer.playbook,
    commit: layer.commit,
    status: "applied",
    last_updated: input.now,
    session_name: `batcher-${String(index % 400).padStart(16, "0")}`,
  }));
  const result = configurationStatus({ layers, state, errorCount: 0, retries: record.retry_policy });
  return { ...record, state, configuration_status: result.status, desired_state: result.desiredState };
}

/** Status branch files: the configuration records and a configured record for every component. */
export function configuredStatusFiles(shape: ComponentShape, now: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const configurations = configurationRecords(shape.configurations, now);
  for (const [name, record] of configurations)
    files.set(configurationRecordPath(name), Buffer.from(stableJson(record)));
  for (let i = 0; i < shape.components; i++) {
    const record = configuredRecord(i, { shape, configurations, now });
    files.set(componentRecordPath(record.id), Buffer.from(stableJson(record)));
  }
  return files;
}
