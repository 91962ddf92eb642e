/**
 * The sessions a CFS user sees: every record on the status branch, plus every valid session
 * manifest on the watched branch that the controller has not recorded yet, shown as the pending
 * record the controller will write (same job name), the way CFS lists a session the moment it is
 * created. Pure.
 */
import { jobName, type ExpiredRecord, type SessionRecord } from "../api/index.js";
import { newSessionRecord } from "../plan/records.js";
import type { DesiredState } from "../plan/index.js";
import { compareNames } from "./session-filters.js";

/** Inputs of sessionViews: the records, or their summaries (see session-summary.ts). */
export interface SessionViewInput<R extends { name: string } = SessionRecord> {
  records: readonly R[];
  /** The watched branch's manifests; null when only the status branch was read. */
  desired: DesiredState | null;
  /** Sessions deleted by session_ttl whose manifest stays (they are not listed again). */
  expired?: ReadonlyMap<string, ExpiredRecord>;
}

/** Records plus not-yet-recorded sessions, sorted by name. */
export function sessionViews<R extends { name: string } = SessionRecord>(
  input: SessionViewInput<R>,
): Array<R | SessionRecord> {
  const byName = new Map<string, R | SessionRecord>(input.records.map((record) => [record.name, record]));
  for (const [name, session] of input.desired?.sessions ?? []) {
    if (byName.has(name)) continue;
    const expired = input.expired?.get(name);
    if (expired && expired.blob === session.source.blob) continue;
    const record = newSessionRecord({
      session: session.manifest,
      source: session.source,
      job: jobName(name, session.source.blob),
      options: input.desired?.options ?? null,
    });
    byName.set(name, record);
  }
  return [...byName.values()].sort((a, b) => compareNames(a.name, b.name));
}
