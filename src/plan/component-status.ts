/**
 * A component's `configuration_status`, computed as CFS's API computes it on every read
 * (config-framework-service, components controller): each layer of the desired configuration gets a
 * status from the component's `state[]`, and the component's status is the lowest of them.
 */
import {
  DEFAULT_BATCHER_RETRY_POLICY,
  type ComponentStateLayer,
  type ConfigurationRecordLayer,
  type ConfigurationStatus,
  type DesiredStateLayer,
} from "../api/index.js";

/** Rank of each status: the component's status is the lowest rank over its layers. */
const RANK: Record<ConfigurationStatus, number> = { unconfigured: 0, failed: 1, pending: 2, configured: 3 };

/** What configurationStatus needs to know about one component. */
export interface StatusInput {
  /** The layers of the desired configuration (branches resolved), or null when it has none or it does not exist. */
  layers: readonly ConfigurationRecordLayer[] | null;
  state: readonly ComponentStateLayer[];
  errorCount: number;
  /** The retry limit in force (the component's retry_policy, else the option); -1 is no limit. */
  retries: number;
}

/** The component's status and its desired_state[] (each desired layer with its own status). */
export interface StatusResult {
  status: ConfigurationStatus;
  desiredState: DesiredStateLayer[];
}

/** True when a component has used up its retries (-1: never). */
export function hasMaxRetries(errorCount: number, retries: number): boolean {
  return retries !== -1 && errorCount >= retries;
}

/** The retry limit of a component: its own retry_policy, else the option, else 3 (the batcher's default). */
export function retryLimit(retryPolicy: number | undefined, option: number | undefined): number {
  return retryPolicy ?? option ?? DEFAULT_BATCHER_RETRY_POLICY;
}

/**
 * `configuration_status` and `desired_state[]`. A component with no usable desired configuration is
 * `unconfigured` (the seed: "no desired configuration or no valid desired configuration"); otherwise
 * a layer is `configured` when the first state entry with its clone_url, playbook and commit is
 * applied or skipped, `failed` when that entry failed and the retries are used up, else `pending`;
 * a pending component with no retries left is `failed`.
 */
export function configurationStatus(input: StatusInput): StatusResult {
  if (input.layers === null || input.layers.length === 0) return { status: "unconfigured", desiredState: [] };
  const maxRetries = hasMaxRetries(input.errorCount, input.retries);
  const desiredState = input.layers.map((layer) => ({
    clone_url: layer.clone_url,
    playbook: layer.playbook,
    commit: layer.commit,
    status: statusOfLayer(layer, input.state, maxRetries),
  }));
  const lowest = desiredState.reduce<ConfigurationStatus>(
    (status, layer) => (RANK[layer.status] < RANK[status] ? layer.status : status),
    "configured",
  );
  return { status: lowest === "pending" && maxRetries ? "failed" : lowest, desiredState };
}

function statusOfLayer(
  layer: ConfigurationRecordLayer,
  state: readonly ComponentStateLayer[],
  maxRetries: boolean,
): ConfigurationStatus {
  if (layer.commit === "" || layer.clone_url === "" || layer.playbook === "") return "unconfigured";
  const match = state.find((entry) => sameLayer(entry, layer) && entry.commit === layer.commit);
  if (!match) return "pending";
  if (match.status === "failed") return maxRetries ? "failed" : "pending";
  return "configured";
}

/** True when a state entry is about the same layer (clone_url and playbook), whatever its commit. */
export function sameLayer(
  a: { clone_url: string; playbook: string },
  b: { clone_url: string; playbook: string },
): boolean {
  return a.clone_url === b.clone_url && a.playbook === b.playbook;
}

/**
 * `state_append` as CFS does it: every entry for the same clone_url and playbook goes, whatever its
 * commit, and the new entry is appended (so the last entry is the latest).
 */
export function appendState(
  state: readonly ComponentStateLayer[],
  entry: ComponentStateLayer,
): ComponentStateLayer[] {
  return [...state.filter((existing) => !sameLayer(existing, entry)), entry];
}
