/**
 * The batcher, as cfs-batcher does it: components that are enabled and pending, and not already in
 * a batcher session, are grouped by batch key (desired configuration, pending layers, last status)
 * into sessions of at most batch_size; a batch starts when full or batch_window seconds after it
 * began waiting. After a run of failed sessions, starting backs off (60 s, doubling, capped).
 */
import {
  BATCHER_FIRST_BACKOFF_SECONDS,
  BATCHER_OUTCOME_WINDOW,
  BATCHER_SESSION_PREFIX,
  BATCHER_TAG,
  BATCHER_TAG_VALUE,
  DEFAULT_BATCH_SIZE,
  DEFAULT_BATCH_WINDOW_SECONDS,
  DEFAULT_BATCHER_MAX_BACKOFF_SECONDS,
  shortHash,
  type ComponentRecord,
  type OptionsManifest,
  type SessionManifest,
} from "../api/index.js";
import { chunk } from "./chunk.js";

/** What the batcher remembers between passes (in memory, as cfs-batcher: a restart starts afresh). */
export interface BatcherMemory {
  /** When each batch key started waiting (ms since the epoch). */
  waiting: Map<string, number>;
  /** Outcomes of the last batcher sessions (true: succeeded), newest last. */
  outcomes: boolean[];
  /** Current backoff (seconds; 0: none) and when it began (ms). */
  backoffSeconds: number;
  backoffStart: number;
}

/** A fresh memory: no batch waiting, every recent outcome a success, no backoff. */
export function newBatcherMemory(): BatcherMemory {
  return { waiting: new Map(), outcomes: [], backoffSeconds: 0, backoffStart: 0 };
}

/** A batch ready to start: the session the batcher makes for it. */
export interface Batch {
  name: string;
  configuration: string;
  members: string[];
  manifest: SessionManifest;
  /** Identifies this batch (members, their error counts and state): the blob of its source. */
  blob: string;
}

/** Inputs of planBatches. */
export interface BatchInput {
  /** Every component record, status computed for this pass. */
  components: Iterable<ComponentRecord>;
  /** Ids already in a batcher session that is not complete. */
  busy: ReadonlySet<string>;
  options: OptionsManifest | null;
  memory: BatcherMemory;
  /** Batcher sessions that completed in this pass: whether each succeeded. */
  finished: readonly boolean[];
  now: number;
}

/** Batches to start, the memory for the next pass, and when a pass should run next for the batcher. */
export interface BatchOutput {
  batches: Batch[];
  memory: BatcherMemory;
  wakeAt: number | null;
}

/** Plans the batcher's part of a pass. */
export function planBatches(input: BatchInput): BatchOutput {
  const memory = nextBackoff(input);
  const { size, windowMs } = batchLimits(input.options);
  const groups = input.options?.batcher_disable ? new Map<string, ComponentRecord[]>() : groupByKey(input);
  const backoffEnd = memory.backoffStart + memory.backoffSeconds * 1000;
  const backingOff = input.now < backoffEnd;
  const batches: Batch[] = [];
  const waiting = new Map<string, number>();
  for (const [key, members] of groups) {
    const since = memory.waiting.get(key) ?? input.now;
    const chunks = chunk(members, size);
    const due = input.now - since >= windowMs;
    const ready = chunks.filter((c) => c.length >= size || due);
    if (backingOff || ready.length < chunks.length) waiting.set(key, since);
    if (!backingOff) batches.push(...ready.map(makeBatch));
  }
  const earliest = backingOff ? backoffEnd : 0;
  const wakes = [...waiting.values()].map((since) => Math.max(since + windowMs, earliest));
  return { batches, memory: { ...memory, waiting }, wakeAt: wakes.length > 0 ? Math.min(...wakes) : null };
}

/** batch_size and batch_window (in ms) with their defaults. */
function batchLimits(options: OptionsManifest | null): { size: number; windowMs: number } {
  return {
    size: options?.batch_size ?? DEFAULT_BATCH_SIZE,
    windowMs: (options?.batch_window ?? DEFAULT_BATCH_WINDOW_SECONDS) * 1000,
  };
}

/** True when a session name is one the batcher makes. */
export function isBatcherSession(name: string): boolean {
  return name.startsWith(BATCHER_SESSION_PREFIX);
}

/** The batch key of a component (cfs-batcher: desired config, pending layer indices, last state status). */
export function batchKey(component: ComponentRecord): string {
  return `${component.desired_config}:${pendingLayers(component).join(",")}:${component.state.at(-1)?.status ?? ""}`;
}

/** Indices of the desired layers that are pending. */
export function pendingLayers(component: ComponentRecord): number[] {
  const out: number[] = [];
  component.desired_state.forEach((layer, index) => {
    if (layer.status === "pending") out.push(index);
  });
  return out;
}

function groupByKey({ components, busy }: BatchInput): Map<string, ComponentRecord[]> {
  const groups = new Map<string, ComponentRecord[]>();
  for (const component of components) {
    if (!component.enabled || component.configuration_status !== "pending" || busy.has(component.id))
      continue;
    const key = batchKey(component);
    const list = groups.get(key);
    if (list) list.push(component);
    else groups.set(key, [component]);
  }
  for (const list of groups.values()) list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return groups;
}

/** The session of a batch: dynamic, limited to its members and to their pending layers. */
function makeBatch(members: ComponentRecord[]): Batch {
  const [first] = members;
  const configuration = first?.desired_config ?? "";
  const limit = first ? pendingLayers(first).join(",") : "";
  const identity = members.map(
    (m) =>
      `${m.id}\0${m.error_count}\0${m.state.map((s) => `${s.commit}${s.status}${s.last_updated}`).join()}`,
  );
  const blob = shortHash(`${configuration}\0${limit}\0${identity.join("\n")}`, 40);
  const name = `${BATCHER_SESSION_PREFIX}${blob.slice(0, 16)}`;
  const ids = members.map((m) => m.id);
  const manifest: SessionManifest = {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name,
    configuration: { name: configuration, limit },
    ansible: { limit: ids.join(",") },
    target: { definition: "dynamic" },
    tags: { ...commonTags(members), [BATCHER_TAG]: BATCHER_TAG_VALUE },
  };
  return { name, configuration, members: ids, manifest, blob };
}

/** The tags every member has with the same value (how BOS's bos_session tag reaches the session). */
function commonTags(members: ComponentRecord[]): Record<string, string> {
  const [first, ...rest] = members;
  if (!first) return {};
  return Object.fromEntries(
    Object.entries(first.tags).filter(([key, value]) => rest.every((m) => m.tags[key] === value)),
  );
}

/** The backoff after this pass's finished sessions (cfs-batcher's ring of the last 20 outcomes). */
function nextBackoff(input: BatchInput): BatcherMemory {
  const memory = input.memory;
  if (input.finished.length === 0) return memory;
  const outcomes = [...memory.outcomes, ...input.finished].slice(-BATCHER_OUTCOME_WINDOW);
  const full = outcomes.length >= BATCHER_OUTCOME_WINDOW;
  // An empty ring counts as all-success (cfs-batcher starts it full of successes).
  if (!full || outcomes.some((ok) => ok)) return { ...memory, outcomes, backoffSeconds: 0 };
  const expired = input.now >= memory.backoffStart + memory.backoffSeconds * 1000;
  if (!expired) return { ...memory, outcomes };
  const cap = input.options?.batcher_max_backoff ?? DEFAULT_BATCHER_MAX_BACKOFF_SECONDS;
  const next =
    memory.backoffSeconds === 0
      ? Math.min(cap, BATCHER_FIRST_BACKOFF_SECONDS)
      : Math.min(cap, memory.backoffSeconds * 2);
  return { ...memory, outcomes, backoffSeconds: next, backoffStart: input.now };
}
