/**
 * A pass with components: the session planner (planPass) wrapped with what automatic configuration
 * adds. Configuration records pin branch layers; batcher sessions (which have no manifest) are
 * planned like any session; session results become component state; the batcher starts new
 * sessions for pending components. Every record that changed comes out at once, so the controller
 * writes one status commit per pass whatever the number of components.
 */
import {
  BATCHER_SESSION_PREFIX,
  jobName,
  shortHash,
  type ComponentRecord,
  type ResolvedConfiguration,
  type ConfigurationRecord,
  type SourceRecord,
  type SessionRecord,
  type KeptSession,
  isSettledSession,
} from "../api/index.js";
import {
  isBatcherSession,
  newBatcherMemory,
  planBatches,
  type Batch,
  type BatcherMemory,
} from "./batcher.js";
import { componentBase, type ComponentBase } from "./component-base.js";
import { configurationStatus } from "./component-status.js";
import { recordLayerResults, WorkingComponents } from "./component-state.js";
import { finishBatch } from "./finish-batch.js";
import { planConfigurationRecords, resolvedConfiguration } from "./configuration-records.js";
import type { DesiredSession, DesiredState } from "./desired.js";
import { formatTime } from "./duration.js";
import { buildRunSpec, planPass, type PlanInput, type PlanOutput } from "./plan-pass.js";
import { newSessionRecord } from "./records.js";
import { sameJson } from "./serialize.js";
import { planSourceRecords } from "./source-records.js";

/** Inputs of planWithComponents: planPass's, plus the component side of the status branch. */
export interface ComponentPlanInput extends PlanInput {
  components: ReadonlyMap<string, ComponentRecord>;
  configurationRecords: ReadonlyMap<string, ConfigurationRecord>;
  /** The `sources/<name>.json` records on the status branch; absent: none. */
  sourceRecords?: ReadonlyMap<string, SourceRecord>;
  /** Commits of branches resolved for this pass (branchKey -> commit). */
  resolved: ReadonlyMap<string, string>;
  batcher?: BatcherMemory;
  /** The `reconfigure` counter of each component's manifest as last acted on (`reconfigure/<id>.json`). */
  reconfigureSeen?: ReadonlyMap<string, number>;
  /** The base of the previous pass, reused while the desired state's base (by identity) and componentsVersion are the same. */
  base?: ComponentBase | null;
  /** Goes up whenever `components` or `reconfigureSeen` change; without it the base is made again every pass. */
  componentsVersion?: number;
}

/** planPass's output plus component and configuration records, and the batcher's memory. */
export interface ComponentPlanOutput {
  plan: PlanOutput;
  components: Map<string, ComponentRecord | null>;
  configurations: Map<string, ConfigurationRecord | null>;
  /** Source records to write (null: remove). */
  sources: Map<string, SourceRecord | null>;
  /** Reconfigure counters acted on in this pass (null: forget it). */
  reconfigure: Map<string, number | null>;
  batcher: BatcherMemory;
  /** What this pass derived from manifests and records alone: give it to the next pass. */
  base: ComponentBase;
  /** When a pass should run for the batcher (a batch window ends, a backoff ends), ms since the epoch. */
  wakeAt: number | null;
}

/** Plans one pass with components and the batcher. */
export function planWithComponents(input: ComponentPlanInput): ComponentPlanOutput {
  const now = formatTime(input.now);
  const configs = planConfigurationRecords({
    configurations: input.desired.configurations,
    records: input.configurationRecords,
    resolved: input.resolved,
    now,
  });
  const desired = withBatcherSessions(
    withResolvedLayers(input.desired, configs.current),
    input.recorded.sessions,
  );
  const plan = planPass({ ...input, desired });
  for (const name of plan.expired.keys()) if (isBatcherSession(name)) plan.expired.delete(name);
  const base = componentBase({
    desired: input.desired,
    components: input.components,
    reconfigureSeen: input.reconfigureSeen ?? new Map(),
    version: input.componentsVersion ?? null,
    previous: input.base ?? null,
  });
  const working = new WorkingComponents(base.records, base.made);
  recordAllLayerResults({ plan, recorded: input.recorded.sessions, working, now });
  const statuses = {
    configurations: desired.configurations,
    records: configs.current,
    changed: configs.changed,
  };
  computeStatuses(working, statuses);
  const finished = finishBatches({ plan, working, now });
  computeStatuses(working, statuses);
  const batched = planBatches({
    components: working.values(),
    busy: busyComponents(input.recorded.sessions, plan.sessions),
    options: input.desired.options,
    memory: input.batcher ?? newBatcherMemory(),
    finished,
    now: input.now.getTime(),
  });
  for (const batch of batched.batches)
    startBatch({ plan, desired, batch, recorded: input.recorded.sessions });
  return {
    plan,
    components: diffComponents(input, working, base.gone),
    configurations: configs.changed,
    sources: planSourceRecords({
      sources: input.desired.sources,
      records: input.sourceRecords ?? new Map(),
      now,
    }),
    reconfigure: new Map(base.reconfigure),
    base,
    batcher: batched.memory,
    wakeAt: batched.wakeAt,
  };
}

/** Records in the components what each session of the plan did with its layers. */
function recordAllLayerResults(input: {
  plan: PlanOutput;
  recorded: ReadonlyMap<string, KeptSession>;
  working: WorkingComponents;
  now: string;
}): void {
  for (const [name, next] of input.plan.sessions) {
    const previous = input.recorded.get(name);
    // A settled (complete) record has no layer left to end.
    if (next && !(previous && isSettledSession(previous)))
      recordLayerResults({ components: input.working, previous, next, now: input.now });
  }
}

/** The desired state with every branch layer pinned to its recorded commit. */
function withResolvedLayers(
  desired: DesiredState,
  records: ReadonlyMap<string, ConfigurationRecord>,
): DesiredState {
  const configurations = new Map<string, ResolvedConfiguration>();
  for (const [name, manifest] of desired.configurations) {
    configurations.set(name, resolvedConfiguration(manifest, records.get(name)));
  }
  return { ...desired, configurations };
}

/**
 * Batcher sessions that are not complete, as desired sessions rebuilt from their records (so a lost
 * start is started again); their source paths count as present while their configuration exists.
 */
function withBatcherSessions(
  desired: DesiredState,
  recorded: ReadonlyMap<string, KeptSession>,
): DesiredState {
  const paths = new Set<string>();
  const unfinished: SessionRecord[] = [];
  for (const [name, record] of recorded) {
    if (!isBatcherSession(name) || !desired.configurations.has(record.configuration.name)) continue;
    paths.add(record.status.source.path);
    if (!isSettledSession(record) && record.status.session.status !== "complete") unfinished.push(record);
  }
  if (paths.size === 0) return desired;
  // The paths are looked up in both sets, not copied into one (100,000 paths a pass).
  const presentPaths = { has: (path: string) => paths.has(path) || desired.presentPaths.has(path) };
  if (unfinished.length === 0) return { ...desired, presentPaths };
  const sessions = new Map(desired.sessions);
  for (const record of unfinished) {
    sessions.set(record.name, { manifest: manifestOfRecord(record), source: record.status.source });
  }
  return { ...desired, sessions, presentPaths };
}

function manifestOfRecord(record: SessionRecord): DesiredSession["manifest"] {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name: record.name,
    configuration: { name: record.configuration.name, limit: record.configuration.limit },
    ansible: { limit: record.ansible.limit ?? "", config: record.ansible.config },
    target: { definition: "dynamic" },
    tags: record.tags,
  };
}

/** What a component's status depends on besides its own record. */
interface StatusContext {
  configurations: ReadonlyMap<string, ResolvedConfiguration>;
  records: ReadonlyMap<string, ConfigurationRecord>;
  /** Configuration records written (or deleted) in this pass. */
  changed: ReadonlyMap<string, ConfigurationRecord | null>;
}

/** Computes the status of every component this pass changed, or whose configuration it changed. */
function computeStatuses(working: WorkingComponents, context: StatusContext): void {
  // No configuration record changed: only the records this pass made or changed can change status.
  const candidates = context.changed.size === 0 ? working.ownedRecords() : working.values();
  for (const shared of candidates) {
    if (!working.isOwned(shared.id) && !context.changed.has(shared.desired_config)) continue;
    const component = working.own(shared.id) ?? shared;
    const usable = context.configurations.has(component.desired_config);
    const record = usable ? context.records.get(component.desired_config) : undefined;
    const result = configurationStatus({
      layers: record?.layers ?? null,
      state: component.state,
      errorCount: component.error_count,
      retries: component.retry_policy,
    });
    component.configuration_status = result.status;
    component.desired_state = result.desiredState;
  }
}

/** Post-processes the batcher sessions that completed in this pass; returns whether each succeeded. */
function finishBatches(input: { plan: PlanOutput; working: WorkingComponents; now: string }): boolean[] {
  const outcomes: boolean[] = [];
  for (const name of input.plan.completed) {
    const record = input.plan.sessions.get(name);
    if (!record || !isBatcherSession(name)) continue;
    outcomes.push(finishBatch({ record, components: input.working, now: input.now }));
  }
  return outcomes;
}

/** Ids in a batcher session that is not complete (recorded, or as this pass leaves it). */
function busyComponents(
  recorded: ReadonlyMap<string, KeptSession>,
  planned: ReadonlyMap<string, SessionRecord | null>,
): Set<string> {
  const busy = new Set<string>();
  const add = (record: KeptSession | null | undefined): void => {
    if (!record || record.status.session.status === "complete") return;
    for (const id of record.status.source.batch?.components ?? []) busy.add(id);
  };
  for (const [name, record] of recorded) if (isBatcherSession(name) && !planned.has(name)) add(record);
  for (const [name, record] of planned) if (isBatcherSession(name)) add(record);
  return busy;
}

/** Records a new batcher session and asks the runner to start it. */
function startBatch(input: {
  plan: PlanOutput;
  desired: DesiredState;
  batch: Batch;
  recorded: ReadonlyMap<string, KeptSession>;
}): void {
  const { plan, desired } = input;
  const batch = withFreeName(input.batch, (name) => input.recorded.has(name) || plan.sessions.has(name));
  const configuration = desired.configurations.get(batch.configuration);
  if (!configuration) return;
  const source = {
    path: `batcher/${batch.name}`,
    commit: desired.commit,
    blob: batch.blob,
    batch: {
      components: batch.members,
      configuration: batch.configuration,
      commits: configuration.layers.map((layer) => layer.commit ?? ""),
    },
  };
  const job = jobName(batch.name, batch.blob);
  const session = { manifest: batch.manifest, source };
  const spec = buildRunSpec(desired, session, job);
  if (!spec) return;
  plan.actions.push({ type: "start", spec });
  plan.sessions.set(
    batch.name,
    newSessionRecord({ session: batch.manifest, source, job, options: desired.options }),
  );
}

/**
 * The batch under a name no session has: the same members with the same state can be batched again
 * (after a reconfigure, or once their old session expired), so a taken name gets a counter in its hash.
 */
function withFreeName(batch: Batch, taken: (name: string) => boolean): Batch {
  let next = batch;
  for (let n = 1; taken(next.name); n++) {
    const blob = shortHash(`${batch.blob}\0${n}`, 40);
    const name = `${BATCHER_SESSION_PREFIX}${blob.slice(0, 16)}`;
    next = { ...batch, name, blob, manifest: { ...batch.manifest, name } };
  }
  return next;
}

function diffComponents(
  input: ComponentPlanInput,
  working: WorkingComponents,
  gone: readonly string[],
): Map<string, ComponentRecord | null> {
  const changed = new Map<string, ComponentRecord | null>();
  for (const component of working.ownedRecords()) {
    const recorded = input.components.get(component.id);
    if (!recorded || !sameJson(recorded, component)) changed.set(component.id, component);
  }
  for (const id of gone) changed.set(id, null);
  return changed;
}
