/**
 * The planner: desired state (manifests) + recorded state (status branch) + observed state (runner)
 * -> actions for the runner and the status records that changed. Pure: `now` comes in as data.
 */
import {
  DEFAULT_SESSION_TTL,
  DEFAULT_DEBUG_WAIT_TIME,
  jobName,
  sessionNameOfRecordPath,
  type ExpiredRecord,
  type ProblemRecord,
  type RunObservation,
  type RunSpec,
  type SessionRecord,
  type KeptSession,
  isSettledSession,
} from "../api/index.js";
import type { DesiredSession, DesiredState } from "./desired.js";
import { formatTime, parseDuration } from "./duration.js";
import { orderActions } from "./fold-results.js";
import { selectLayers } from "./layers.js";
import { applyObservation, completeRecord, effectiveAnsibleConfig, newSessionRecord } from "./records.js";
import { inventoryComponents } from "./inventory-components.js";
import { dueTime, quietSessions, type QuietHint, type QuietSessions } from "./quiet-sessions.js";
import { sameJson } from "./serialize.js";
import { effectiveAdditionalInventory, sourcesUsed } from "./resolve-sources.js";

/** What the status branch says now. */
export interface RecordedState {
  /** Whole records, or the compact form of completed ones (the controller keeps those settled). */
  sessions: Map<string, KeptSession>;
  problems: Map<string, ProblemRecord>;
  expired: Map<string, ExpiredRecord>;
  /**
   * Status files that could not be used (not JSON, or not the record's shape), by status path,
   * each as the problem to record. A session's unreadable record is re-derived (or deleted when
   * its manifest is gone too); an unreadable problem record is written again or deleted.
   */
  unreadable?: Map<string, ProblemRecord>;
}

/** Something the runner must do. */
export type Action =
  | { type: "start"; spec: RunSpec }
  | { type: "remove"; name: string; job: string; why: "deleted" | "expired" | "orphan" };

/** Inputs of planPass. */
export interface PlanInput {
  desired: DesiredState;
  recorded: RecordedState;
  observed: Map<string, RunObservation>;
  now: Date;
  /** What the previous pass found of the completed sessions, and what changed since (default: a walk of every record). */
  quiet?: QuietHint;
}

/** Actions plus every status record that changed (null: delete it). */
export interface PlanOutput {
  actions: Action[];
  sessions: Map<string, SessionRecord | null>;
  problems: Map<string, ProblemRecord | null>;
  expired: Map<string, ExpiredRecord | null>;
  /** Sessions that reached `complete` in this pass (their logs are committed with them). */
  completed: string[];
  /** What planPass found of the completed sessions: hand it to the next pass (QuietHint). */
  quiet?: QuietSessions;
}

interface Pass extends PlanInput {
  out: PlanOutput;
  problems: Map<string, ProblemRecord>;
  ttlMs: number | null;
}

/** Plans one reconcile pass; `quiet` is what it found of the completed sessions (give it to the next pass). */
export function planPass(input: PlanInput): PlanOutput {
  const quiet = quietSessions({
    recorded: input.recorded.sessions,
    present: input.desired.presentPaths,
    base: input.desired.base,
    now: input.now.getTime(),
    ttlMs: ttlOf(input),
    ...(input.quiet ? { hint: input.quiet } : {}),
  });
  return { ...planNames(input, namesToPlan(input, quiet)), quiet };
}

/**
 * Plans one pass over the given session names (sorted): planPass plans the names that may change;
 * planning every name gives the same output (a property test holds them to it).
 */
export function planNames(input: PlanInput, names: readonly string[]): PlanOutput {
  const out: PlanOutput = {
    actions: [],
    sessions: new Map(),
    problems: new Map(),
    expired: new Map(),
    completed: [],
  };
  const pass: Pass = { ...input, out, problems: new Map(input.desired.problems), ttlMs: ttlOf(input) };
  for (const name of names) planSession(pass, name);
  planExpired(pass);
  planUnreadable(pass);
  diffProblems(pass);
  out.actions = orderActions(out.actions, input.observed);
  return out;
}

function ttlOf(input: PlanInput): number | null {
  return parseDuration(input.desired.options?.session_ttl ?? DEFAULT_SESSION_TTL);
}

/**
 * Every session name of the pass, sorted, but those of completed records nothing can move this
 * pass (quietSessions): most of a large site, for which planSession would do nothing. The session
 * files read (edited, or not finished) are few and are all planned, as are runs no record knows.
 */
function namesToPlan(input: PlanInput, quiet: QuietSessions): string[] {
  const { desired, recorded, observed } = input;
  const names = new Set(desired.sessions.keys());
  for (const name of quiet.active) names.add(name);
  for (const name of observed.keys()) {
    if (!names.has(name) && !recorded.sessions.has(name)) names.add(name);
  }
  return [...names].sort();
}

/** True when a completed session has outlived the session TTL (never without a TTL or a completion time). */
function isDue(record: KeptSession, { now, ttlMs }: { now: number; ttlMs: number | null }): boolean {
  return now >= dueTime(record, ttlMs);
}

/** Unreadable status files: each becomes a problem, and is replaced or removed. */
function planUnreadable(pass: Pass): void {
  for (const [path, problem] of pass.recorded.unreadable ?? []) {
    pass.problems.set(path, problem);
    const name = sessionNameOfRecordPath(path);
    if (name !== null && !pass.out.sessions.has(name)) pass.out.sessions.set(name, null);
    const manifest = /^problems\/(.+)\.json$/.exec(path)?.[1];
    if (manifest !== undefined && !pass.problems.has(manifest)) pass.out.problems.set(manifest, null);
  }
}

function planSession(pass: Pass, name: string): void {
  const record = pass.recorded.sessions.get(name);
  const desired = pass.desired.sessions.get(name);
  const observed = pass.observed.get(name);
  if (record) {
    planRecorded(pass, { record, desired, observed });
    return;
  }
  if (desired) {
    planNew(pass, desired, observed);
    return;
  }
  if (observed) pass.out.actions.push({ type: "remove", name, job: observed.job, why: "orphan" });
}

function planNew(pass: Pass, desired: DesiredSession, observed: RunObservation | undefined): void {
  const { name } = desired.manifest;
  const expired = pass.recorded.expired.get(name);
  if (expired) {
    if (expired.blob !== desired.source.blob) addImmutableProblem(pass, desired, expired.blob);
    return;
  }
  const job = jobName(name, desired.source.blob);
  let record = newSessionRecord({
    session: desired.manifest,
    source: desired.source,
    job,
    options: pass.desired.options,
  });
  if (observed && observed.job === job) record = applyObservation(record, observed);
  else {
    const spec = buildRunSpec(pass.desired, desired, job);
    if (spec) pass.out.actions.push({ type: "start", spec });
    else record = completeRecord(record, notRunnable(pass, desired));
  }
  setRecord(pass, record, undefined);
}

interface RecordedCase {
  record: KeptSession;
  desired: DesiredSession | undefined;
  observed: RunObservation | undefined;
}

function planRecorded(pass: Pass, { record, desired, observed }: RecordedCase): void {
  const { name } = record;
  const job = record.status.session.job ?? "";
  if (!pass.desired.presentPaths.has(record.status.source.path)) {
    pass.out.actions.push({ type: "remove", name, job, why: "deleted" });
    pass.out.sessions.set(name, null);
    return;
  }
  if (desired && desired.source.blob !== record.status.source.blob) {
    addImmutableProblem(pass, desired, record.status.source.blob);
  }
  if (isSettledSession(record) || record.status.session.status === "complete") {
    planComplete(pass, record);
    return;
  }
  const usable = observed && observed.job === job ? observed : undefined;
  if (observed && !usable) pass.out.actions.push({ type: "remove", name, job: observed.job, why: "orphan" });
  setRecord(pass, advance(pass, { record, desired, observed: usable }), record);
}

/** A record not yet complete: move it with the observation, restart a lost start, or end a lost run. */
function advance(
  pass: Pass,
  { record, desired, observed }: RecordedCase & { record: SessionRecord },
): SessionRecord {
  if (observed) return applyObservation(record, observed);
  const now = formatTime(pass.now);
  if (record.status.session.status === "running") {
    return completeRecord(record, {
      succeeded: "unknown",
      now,
      reason: `the runner has no trace of job ${record.status.session.job ?? "(none)"}: it was removed outside cfs-gitops`,
    });
  }
  // Pending and unknown to the runner: the start was never carried out (or was lost); starting is idempotent.
  const sameManifest = desired && desired.source.blob === record.status.source.blob ? desired : undefined;
  const spec = sameManifest
    ? buildRunSpec(pass.desired, sameManifest, record.status.session.job ?? "")
    : null;
  if (spec) pass.out.actions.push({ type: "start", spec });
  return record;
}

function planComplete(pass: Pass, record: KeptSession): void {
  if (!isDue(record, { now: pass.now.getTime(), ttlMs: pass.ttlMs })) return;
  const { name } = record;
  pass.out.actions.push({ type: "remove", name, job: record.status.session.job ?? "", why: "expired" });
  pass.out.sessions.set(name, null);
  pass.out.expired.set(name, {
    name,
    path: record.status.source.path,
    blob: record.status.source.blob,
    expired_at: formatTime(pass.now),
  });
}

/** Expired sessions whose manifest left the repository are forgotten, so the name can be used again. */
function planExpired(pass: Pass): void {
  for (const [name, expired] of pass.recorded.expired) {
    if (!pass.desired.presentPaths.has(expired.path)) pass.out.expired.set(name, null);
  }
}

function setRecord(pass: Pass, next: SessionRecord, previous: SessionRecord | undefined): void {
  if (previous && sameJson(previous, next)) return;
  pass.out.sessions.set(next.name, next);
  const wasComplete = previous?.status.session.status === "complete";
  if (next.status.session.status === "complete" && !wasComplete) pass.out.completed.push(next.name);
}

function addImmutableProblem(pass: Pass, desired: DesiredSession, startedBlob: string): void {
  const { path, commit, blob } = desired.source;
  const error = {
    line: 1,
    column: 1,
    code: "immutable",
    message: `session "${desired.manifest.name}" was already created from blob ${startedBlob.slice(0, 12)}; sessions are immutable (like Jobs), so this edit changes nothing: revert it and add a new session file with a new name`,
  };
  const existing = pass.problems.get(path);
  pass.problems.set(
    path,
    existing ? { ...existing, errors: [...existing.errors, error] } : { path, commit, blob, errors: [error] },
  );
}

function diffProblems(pass: Pass): void {
  for (const [path, problem] of pass.problems) {
    const recorded = pass.recorded.problems.get(path);
    if (!recorded || !sameJson(recorded, problem)) pass.out.problems.set(path, problem);
  }
  for (const path of pass.recorded.problems.keys()) {
    if (!pass.problems.has(path)) pass.out.problems.set(path, null);
  }
}

function notRunnable(
  pass: Pass,
  desired: DesiredSession,
): { succeeded: "false"; reason: string; now: string } {
  return {
    succeeded: "false",
    now: formatTime(pass.now),
    reason: `configuration "${desired.manifest.configuration.name}" cannot be used by this session`,
  };
}

/** The RunSpec of a session, or null when its configuration or layer limit no longer resolves. */
export function buildRunSpec(desired: DesiredState, session: DesiredSession, job: string): RunSpec | null {
  const manifest = session.manifest;
  const configuration = desired.configurations.get(manifest.configuration.name);
  if (!configuration) return null;
  const selection = selectLayers(configuration, manifest.configuration.limit ?? "");
  if (!selection.ok) return null;
  const ansibleConfig = effectiveAnsibleConfig(manifest, desired.options);
  const additionalInventory = effectiveAdditionalInventory({
    configuration,
    options: desired.options,
    sources: desired.sources,
  });
  const sources = sourcesUsed(
    [...selection.layers, ...(additionalInventory ? [additionalInventory] : [])],
    desired.sources,
  );
  return {
    name: manifest.name,
    job,
    session: manifest,
    configurationName: configuration.name,
    layers: selection.layers,
    additionalInventory,
    ...(Object.keys(sources).length > 0 ? { sources } : {}),
    components: inventoryComponents(manifest, desired.components),
    ansibleConfig,
    ansibleConfigText: desired.ansibleConfigs.get(ansibleConfig) ?? null,
    sourceCommit: session.source.commit,
    sessionTtl: desired.options?.session_ttl ?? DEFAULT_SESSION_TTL,
    ...(manifest.debug_on_failure === true
      ? { debugWaitTime: desired.options?.debug_wait_time ?? DEFAULT_DEBUG_WAIT_TIME }
      : {}),
  };
}
