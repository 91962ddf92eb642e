/** The status branch as the controller holds it in memory: parsed records keyed as the planner wants them. */
import type { Logger } from "pino";
import {
  expiredNameOfPath,
  sessionNameOfRecordPath,
  type ExpiredRecord,
  type ProblemRecord,
  type SessionRecord,
  type KeptSession,
} from "../api/index.js";
import type { StatusSnapshot, StatusStore } from "../git/types.js";
import { StringPool } from "./string-pool.js";
import {
  expiredRecordError,
  problemRecordError,
  sessionRecordError,
  settleRecord,
  type RecordedState,
} from "../plan/index.js";

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
  const state: RecordedState = {
    sessions: new Map(),
    problems: new Map(),
    expired: new Map(),
    unreadable: new Map(),
  };
  const strings = new StringPool();
  const isRecord = (path: string): boolean => recordKind(path) !== null;
  await readStatusFiles(status, snapshot.files, isRecord, (path, oid, data) => {
    if (data) applyRecordFile(state, { path, content: data, oid, tip: snapshot.tip }, log);
    const name = sessionNameOfRecordPath(path);
    if (name !== null) strings.internDeep(state.sessions.get(name));
  });
  return { state, snapshot };
}

/**
 * Reads the status files `wanted` picks, RECORD_BATCH at a time, and hands each to `take` with its
 * content (undefined: not found). The file list is walked as it is, never copied: at 100,000
 * sessions it holds 321,000 paths, and an array of its pairs was ~10 MiB at a start's peak.
 */
export async function readStatusFiles(
  status: Pick<StatusStore, "readBlobs">,
  files: ReadonlyMap<string, string>,
  wanted: (path: string) => boolean,
  take: (path: string, oid: string, content: Buffer | undefined) => void,
): Promise<void> {
  let batch: Array<[string, string]> = [];
  const flush = async (): Promise<void> => {
    const blobs = await status.readBlobs(batch.map(([, oid]) => oid));
    for (const [path, oid] of batch) take(path, oid, blobs.get(oid));
    batch = [];
  };
  for (const [path, oid] of files) {
    if (!wanted(path)) continue;
    batch.push([path, oid]);
    if (batch.length >= RECORD_BATCH) await flush();
  }
  if (batch.length > 0) await flush();
}

/** A status file as read: its path, content (null: deleted), blob id and the tip it was read at. */
export interface StatusFile {
  path: string;
  content: Buffer | null;
  oid?: string | null;
  tip?: string | null;
}

/**
 * Puts one status file into the in-memory state (null content removes it). A file that is not
 * JSON, or not the shape of its record, is kept out of the records and put in `unreadable` as a
 * problem, so the planner re-derives it instead of trusting it.
 */
export function applyRecordFile(state: RecordedState, file: StatusFile, log: Logger): void {
  const { path, content } = file;
  if (recordKind(path) === null) return;
  if (content === null) {
    applyRecordValue(state, path, null);
    return;
  }
  let value: unknown;
  try {
    value = JSON.parse(content.toString("utf8"));
  } catch (error) {
    value = undefined;
    log.debug({ path, err: error }, "status file is not JSON");
  }
  const error = value === undefined ? "the file is not valid JSON" : recordError(path, value);
  if (error === null) {
    applyRecordValue(state, path, value as object);
    return;
  }
  log.warn({ path, problem: error }, "status record unreadable; it is re-derived");
  applyRecordValue(state, path, null);
  state.unreadable ??= new Map();
  state.unreadable.set(path, unreadableProblem(file, error));
}

/** The problem recorded for an unreadable status file. */
function unreadableProblem(file: StatusFile, error: string): ProblemRecord {
  const message = `status record ${file.path} on the status branch is unreadable (${error}); cfs-gitops set it aside and derives it again from the manifest and the runner`;
  return {
    path: file.path,
    commit: file.tip ?? "",
    blob: file.oid ?? null,
    errors: [{ line: 1, column: 1, code: "unreadable-record", message }],
  };
}

/** What is wrong with a parsed status file, or null. */
function recordError(path: string, value: unknown): string | null {
  const kind = recordKind(path);
  if (kind === null) return null;
  if (kind.kind === "sessions") return sessionRecordError(value, kind.key);
  if (kind.kind === "expired") return expiredRecordError(value, kind.key);
  return problemRecordError(value);
}

/**
 * Puts one status record, already parsed, into the in-memory state (null removes it). A completed
 * session is kept in its compact form (settleRecord): the planner, expiry and the forge read only
 * that, and the whole record stays on the status branch.
 */
export function applyRecordValue(state: RecordedState, path: string, value: object | null): void {
  const kind = recordKind(path);
  if (!kind) return;
  state.unreadable?.delete(path);
  const map = state[kind.kind] as Map<string, KeptSession | ProblemRecord | ExpiredRecord>;
  if (value === null) map.delete(kind.key);
  else if (kind.kind === "sessions") {
    const kept = settleRecord(value as SessionRecord);
    // Keyed by the record's own name (checked equal to the file's): one string per session, not two.
    map.set(kept.name === kind.key ? kept.name : kind.key, kept);
  } else map.set(kind.key, value as ProblemRecord | ExpiredRecord);
}

function recordKind(path: string): { kind: "sessions" | "problems" | "expired"; key: string } | null {
  const session = sessionNameOfRecordPath(path);
  if (session) return { kind: "sessions", key: session };
  const expired = expiredNameOfPath(path);
  if (expired) return { kind: "expired", key: expired };
  const problem = PROBLEM_FILE.exec(path);
  if (problem?.[1]) return { kind: "problems", key: problem[1] };
  return null;
}
