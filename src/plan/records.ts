/** Session records: created from a manifest, moved forward by observations, never backward. */
import {
  DEFAULT_ANSIBLE_CONFIG,
  SESSION_STATUSES,
  type OptionsManifest,
  type RunObservation,
  type SessionRecord,
  type SessionStatus,
  type KeptSession,
  isSettledSession,
  type SourceRef,
  type Succeeded,
  type SessionManifest,
  sessionLogDir,
  withCleanCloneUrl,
} from "../api/index.js";

/** Position of a status in pending -> running -> complete. */
export function statusRank(status: SessionStatus): number {
  return SESSION_STATUSES.indexOf(status);
}

/** The ansible config a session uses: its own, else the repository default, else CFS's default. */
export function effectiveAnsibleConfig(session: SessionManifest, options: OptionsManifest | null): string {
  const own = session.ansible?.config;
  if (own !== undefined && own !== "") return own;
  return options?.default_ansible_config || DEFAULT_ANSIBLE_CONFIG;
}

/** Inputs of newSessionRecord. */
export interface NewRecordInput {
  session: SessionManifest;
  source: SourceRef;
  job: string;
  options: OptionsManifest | null;
}

/** The pending record of a session just seen, in the exact shape of `cray cfs v3 sessions describe`. */
export function newSessionRecord(input: NewRecordInput): SessionRecord {
  const { session, source, job, options } = input;
  const ansible = session.ansible ?? {};
  const target = session.target ?? {};
  return {
    ansible: {
      config: effectiveAnsibleConfig(session, options),
      limit: ansible.limit ?? null,
      passthrough: ansible.passthrough ?? null,
      verbosity: ansible.verbosity ?? 0,
    },
    configuration: { limit: session.configuration.limit ?? "", name: session.configuration.name },
    debug_on_failure: session.debug_on_failure ?? false,
    logs: sessionLogDir(session.name),
    name: session.name,
    status: {
      artifacts: [],
      session: {
        job,
        start_time: null,
        completion_time: null,
        status: "pending",
        succeeded: "none",
      },
      layers: [],
      steps: [],
      source,
      reason: null,
    },
    tags: session.tags ?? {},
    target: {
      definition: target.definition ?? "dynamic",
      groups: target.groups ?? null,
      image_map: target.image_map ?? [],
    },
  };
}

/** Once `succeeded` leaves `none` it never changes again. */
export function nextSucceeded(current: Succeeded, observed: Succeeded): Succeeded {
  return current === "none" ? observed : current;
}

/**
 * Moves a record forward with what the runner saw. A record that is complete never changes; an
 * observation older than the record (a lower status) is ignored; times are kept once set. The
 * layers' clone URLs are recorded without their credentials.
 */
export function applyObservation(record: SessionRecord, observed: RunObservation): SessionRecord {
  const current = record.status.session;
  if (current.status === "complete") return record;
  if (statusRank(observed.phase) < statusRank(current.status)) return record;
  const session = {
    ...current,
    status: observed.phase,
    succeeded: observed.phase === "complete" ? nextSucceeded(current.succeeded, observed.succeeded) : "none",
    start_time: current.start_time ?? observed.startTime,
    completion_time:
      observed.phase === "complete" ? (observed.completionTime ?? current.completion_time) : null,
    ...(observed.imsJob !== undefined ? { ims_job: observed.imsJob } : {}),
    ...(observed.imsJobs !== undefined ? { ims_jobs: observed.imsJobs } : {}),
  } satisfies SessionRecord["status"]["session"];
  const { debug: _previous, ...status } = record.status;
  return {
    ...record,
    status: {
      ...status,
      session,
      artifacts: observed.artifacts,
      // The runner clones from the URL as written; the record never carries its credentials.
      layers: observed.layers.map(withCleanCloneUrl),
      steps: observed.steps,
      reason: observed.reason,
      // Only a running session waits for debugging (a restart may leave the mark in a completed run).
      ...(observed.debug !== undefined && observed.phase !== "complete" ? { debug: observed.debug } : {}),
    },
  };
}

/** Inputs of completeRecord. */
export interface CompleteInput {
  succeeded: Succeeded;
  reason: string;
  now: string;
}

/** Ends a record that cannot run or whose run was lost (succeeded `false` or `unknown`, with a reason). */
export function completeRecord(record: SessionRecord, input: CompleteInput): SessionRecord {
  if (record.status.session.status === "complete") return record;
  return {
    ...record,
    status: {
      ...record.status,
      session: {
        ...record.status.session,
        status: "complete",
        succeeded: nextSucceeded(record.status.session.succeeded, input.succeeded),
        start_time: record.status.session.start_time ?? input.now,
        completion_time: input.now,
      },
      reason: input.reason,
    },
  };
}

/**
 * Of two versions of one record (ours and one another writer pushed), the one further along.
 * Used when the status branch moved under us; equal progress keeps ours.
 */
export function laterRecord(theirs: SessionRecord, ours: SessionRecord): SessionRecord {
  if (theirs.status.source.blob !== ours.status.source.blob) return ours;
  const rank = (record: SessionRecord): number =>
    statusRank(record.status.session.status) * 2 + (record.status.session.succeeded === "none" ? 0 : 1);
  return rank(theirs) > rank(ours) ? theirs : ours;
}

/**
 * The compact form the controller keeps of a completed record (SettledSession): only what is read
 * of a completed session (records are never changed in place, so its parts are shared, not copied),
 * and the rest of the parsed record can be collected. A record not yet complete is returned as it is.
 */
export function settleRecord(record: KeptSession): KeptSession {
  if (isSettledSession(record) || record.status.session.status !== "complete") return record;
  const { session, source, reason } = record.status;
  return {
    settled: true,
    name: record.name,
    completedMs: Date.parse(session.completion_time ?? ""),
    configuration: { name: record.configuration.name },
    status: { session, source, reason },
  };
}
