/**
 * Recording what sessions did to components, as CFS's Ansible callback (`cfs_aggregator`) and the
 * batcher's post-processing do: after each layer, every host of the PLAY RECAP that is a component
 * gets a `state[]` entry for that layer, and error_count moves.
 */
import type {
  ComponentManifest,
  ComponentRecord,
  ComponentStateLayer,
  LayerStatus,
  SessionRecord,
} from "../api/index.js";
import { appendState } from "./component-status.js";
import { sameJson } from "./serialize.js";

/** A component record being worked on during a pass (the same shape, mutable once owned). */
export type WorkingComponent = ComponentRecord;

/**
 * The component records of a pass. Records the pass does not change are shared with the base ones
 * (10,000 configured components cost no copies and no comparisons); `own` copies one before it is
 * changed, and only owned records can differ from what is recorded. The base map is never changed.
 */
export class WorkingComponents {
  private readonly records = new Map<string, WorkingComponent>();
  private readonly owned = new Set<string>();

  /** `base`: the records the pass starts from (shared, never changed); `made`: those among them that are new. */
  constructor(
    private readonly base: ReadonlyMap<string, ComponentRecord> = new Map(),
    made: Iterable<string> = [],
  ) {
    for (const id of made) this.own(id);
  }

  /** Adds a recorded record, unchanged (copied by `own` before any change). */
  share(record: ComponentRecord): void {
    this.records.set(record.id, record);
  }

  /** Adds a record made in this pass. */
  put(record: WorkingComponent): void {
    this.records.set(record.id, record);
    this.owned.add(record.id);
  }

  /** The record of a component (do not change it: see `own`). */
  get(id: string): ComponentRecord | undefined {
    return this.records.get(id) ?? this.base.get(id);
  }

  /** The record of a component, safe to change (a copy of a shared record). */
  own(id: string): WorkingComponent | undefined {
    const record = this.get(id);
    if (!record || this.owned.has(id)) return record;
    const copy = { ...record };
    this.put(copy);
    return copy;
  }

  /** True when a component is in the pass. */
  has(id: string): boolean {
    return this.records.has(id) || this.base.has(id);
  }

  /** True when the pass made or changed this record. */
  isOwned(id: string): boolean {
    return this.owned.has(id);
  }

  /** Every record. */
  *values(): IterableIterator<ComponentRecord> {
    for (const [id, record] of this.base) yield this.records.get(id) ?? record;
    for (const [id, record] of this.records) if (!this.base.has(id)) yield record;
  }

  /** The records the pass made or changed. */
  ownedRecords(): WorkingComponent[] {
    return [...this.owned].flatMap((id) => this.records.get(id) ?? []);
  }
}

/**
 * The record a component starts the pass with: its recorded one brought in line with its manifest.
 * A changed desired_config resets error_count (as CFS's API does on any write of desired_config);
 * a raised `reconfigure` counter clears the state too (CFS's `update --state '[]'`).
 */
export function componentFromManifest(input: {
  manifest: ComponentManifest;
  record: ComponentRecord | undefined;
  retries: number;
  reconfigured: boolean;
}): WorkingComponent {
  const { manifest, record } = input;
  const desiredConfig = manifest.desired_config ?? "";
  const reset = input.reconfigured || (record !== undefined && record.desired_config !== desiredConfig);
  const base = record ?? {
    configuration_status: "unconfigured",
    desired_state: [],
    error_count: 0,
    state: [],
  };
  return {
    id: manifest.id,
    configuration_status: base.configuration_status,
    desired_config: desiredConfig,
    desired_state: base.desired_state,
    enabled: manifest.enabled ?? true,
    error_count: reset ? 0 : base.error_count,
    logs: "",
    retry_policy: input.retries,
    state: input.reconfigured ? [] : base.state,
    tags: manifest.tags ?? {},
  };
}

/** True when a record still says what its manifest says now (so the pass can share it unchanged). */
export function matchesManifest(
  record: ComponentRecord,
  manifest: ComponentManifest,
  retries: number,
): boolean {
  return (
    record.desired_config === (manifest.desired_config ?? "") &&
    record.enabled === (manifest.enabled ?? true) &&
    record.retry_policy === retries &&
    record.logs === "" &&
    sameJson(record.tags, manifest.tags ?? {})
  );
}

/** True when a session's hosts record state: not an image session, and no ansible.passthrough (as CFS). */
export function recordsComponentState(record: SessionRecord): boolean {
  if (record.target.definition === "image") return false;
  return (record.ansible.passthrough ?? "") === "";
}

/** Layers that ended (succeeded or failed) in `next` and had not ended in `previous`. */
export function newlyEndedLayers(previous: SessionRecord | undefined, next: SessionRecord): LayerStatus[] {
  return next.status.layers.filter((layer) => {
    if (layer.status !== "succeeded" && layer.status !== "failed") return false;
    const before = previous?.status.layers.find((old) => old.index === layer.index);
    return before?.status !== layer.status;
  });
}

/**
 * Applies the layers that ended since the last record of a session to the components among its
 * hosts: `applied` (error_count back to 0, as the callback does) or `failed` for failed and
 * unreachable hosts (error_count + 1). Returns the ids of the components it changed.
 */
export function recordLayerResults(input: {
  components: WorkingComponents;
  previous: SessionRecord | undefined;
  next: SessionRecord;
  now: string;
}): string[] {
  if (!recordsComponentState(input.next)) return [];
  const touched: string[] = [];
  for (const layer of newlyEndedLayers(input.previous, input.next)) {
    for (const host of layerHosts(layer)) {
      const component = input.components.own(host);
      if (!component) continue;
      const failed = layer.failed_hosts.includes(host) || layer.unreachable_hosts.includes(host);
      const entry: ComponentStateLayer = {
        clone_url: layer.clone_url,
        playbook: layer.playbook,
        commit: layer.commit ?? "",
        status: failed ? "failed" : "applied",
        last_updated: input.now,
        session_name: input.next.name,
      };
      component.state = appendState(component.state, entry);
      component.error_count = failed ? component.error_count + 1 : 0;
      touched.push(host);
    }
  }
  return touched;
}

/** Every host of a layer's PLAY RECAP, failed and unreachable ones included. */
function layerHosts(layer: LayerStatus): string[] {
  return [...new Set([...Object.keys(layer.recap), ...layer.failed_hosts, ...layer.unreachable_hosts])];
}
