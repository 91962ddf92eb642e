/** The status branch as the controller holds it in memory: parsed records keyed as the planner wants them. */
import type { Logger } from "pino";
import {
  sessionNameOfRecordPath,
  type ExpiredRecord,
  type ProblemRecord,
  type SessionRecord,
} from "../api/index.js";
import type { StatusSnapshot, StatusStore } from "../git/types.js";
import type { RecordedState } from "../plan/index.js";

const EXPIRED_FILE = /^expired\/([^/]+)\.json$/;
const PROBLEM_FILE = /^problems\/(.+)\.json$/;

/**
 * Records read per batch: the raw JSON of a batch is dropped once parsed, so the peak memory of a
 * start does not hold every record twice (10,000 records are ~25 MiB of JSON).
 */
export const RECORD_BATCH = 500;

/** Reads every record of the status branch (pipelined batch reads of RECORD_BATCH records). */
export async function loadRecordedState(
  status: StatusStore,
  log: Logger,
): Promise<{ state: RecordedState; snapshot: StatusSnapshot }> {
  const snapshot = await status.load();
  const state: RecordedState = { sessions: new Map(), problems: new Map(), expired: new Map() };
  const wanted = [...snapshot.files].filter(([path]) => recordKind(path) !== null);
  for (let start = 0; start < wanted.length; start += RECORD_BATCH) {
    const batch = wanted.slice(start, start + RECORD_BATCH);
    const blobs = await status.readBlobs(batch.map(([, oid]) => oid));
    for (const [path, oid] of batch) {
      const data = blobs.get(oid);
      if (data) applyRecordFile(state, path, data, log);
    }
  }
  return { state, snapshot };
}

/** Puts one status file into the in-memory state (null content removes it). */
export function applyRecordFile(
  state: RecordedState,
  path: string,
  content: Buffer | null,
  log: Logger,
): void {
  if (recordKind(path) === null) return;
  if (content === null) {
    applyRecordValue(state, path, null);
    return;
  }
  try {
    applyRecordValue(state, path, JSON.parse(content.toString("utf8")) as object);
  } catch (error) {
    log.warn({ path, err: error }, "status file is not valid JSON; ignoring it");
  }
}

/** Puts one status record, already parsed, into the in-memory state (null removes it). */
export function applyRecordValue(state: RecordedState, path: string, value: object | null): void {
  const kind = recordKind(path);
  if (!kind) return;
  const map = state[kind.kind] as Map<string, SessionRecord | ProblemRecord | ExpiredRecord>;
  if (value === null) map.delete(kind.key);
  else map.set(kind.key, value as SessionRecord | ProblemRecord | ExpiredRecord);
}

function recordKind(path: string): { kind: keyof RecordedState; key: string } | null {
  const session = sessionNameOfRecordPath(path);
  if (session) return { kind: "sessions", key: session };
  const expired = EXPIRED_FILE.exec(path);
  if (expired?.[1]) return { kind: "expired", key: expired[1] };
  const problem = PROBLEM_FILE.exec(path);
  if (problem?.[1]) return { kind: "problems", key: problem[1] };
  return null;
}
