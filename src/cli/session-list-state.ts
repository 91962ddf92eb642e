/**
 * The state of the `sessions list` cache (session-list-cache.ts) and bringing it to the tips now:
 * the summaries of the status branch's records (with their blob ids), its expiry notes and
 * problems, and the watched branch's manifest files with the parse of each one that must be read.
 * Loaded only when a list is computed: a list whose answer is kept never parses or diffs.
 */
import type { ExpiredRecord, ProblemRecord, SessionRecord } from "../api/index.js";
import type { ChangedFile } from "../git/types.js";
import type { ParsedFile } from "../plan/index.js";
import { readCacheFile, writeCacheFile } from "./cache-file.js";
import { ManifestParseCache, type CachedManifest } from "./manifest-parse-cache.js";
import { mergeProblems, problemsOf } from "./problems.js";
import { isManifestPath } from "./manifest-path.js";
import { readManifestTree, type ManifestTree } from "./repo-tree.js";
import { compareNames } from "./session-filters.js";
import {
  formatOf,
  listCacheFile,
  readTips,
  statusKind,
  type ListContext,
  type ListedSessions,
  type Tips,
} from "./session-list-cache.js";
import { summarizeSession, type SessionSummary } from "./session-summary.js";
import { sessionViews } from "./session-view.js";
import { settledSessions } from "./settled-sessions.js";
import { loadSessions } from "./session-source.js";

interface Kept<T> {
  blob: string;
  value: T;
}

interface ManifestEntry {
  blob: string;
  mode: string;
  parse: CachedManifest | null;
}

/** What the cache holds (see the module comment). */
interface ListState {
  statusTip: string | null;
  watchedTip: string | null;
  records: Map<string, Kept<SessionSummary>>;
  expired: Map<string, Kept<ExpiredRecord>>;
  problems: Map<string, Kept<ProblemRecord>>;
  manifests: Map<string, ManifestEntry>;
}

/** Every record and manifest read, without the cache (CFS_GITOPS_LIST_CACHE=off). */
export async function listSessionsUncached(context: ListContext): Promise<ListedSessions> {
  const loaded = await loadSessions(context);
  const problems = await problemsOf(loaded);
  return { sessions: loaded.sessions, problems, whole: (items) => Promise.resolve(items as SessionRecord[]) };
}

/** The sessions and problems to list, from the cache brought up to date (and saved when it changed). */
export async function listSessionsCached(context: ListContext, at?: Tips): Promise<ListedSessions> {
  const tips = at ?? (await readTips(context));
  const file = listCacheFile(context);
  const format = formatOf(context);
  const old = fromJson(await readCacheFile(file, format));
  let state: ListState;
  try {
    state = await advance(old ?? emptyState(), { context, tips });
  } catch (error) {
    if (old === null) throw error;
    state = await advance(emptyState(), { context, tips }); // the old tips are gone (gc, force push)
  }
  const { listed, reparsed } = await compute(state, context);
  if (old === null || reparsed || old.statusTip !== tips.status || old.watchedTip !== tips.watched)
    await writeCacheFile({ file, format, value: toJson(state) });
  return listed;
}

function emptyState(): ListState {
  return {
    statusTip: null,
    watchedTip: null,
    records: new Map(),
    expired: new Map(),
    problems: new Map(),
    manifests: new Map(),
  };
}

/** Brings `state` to `tips`: only the files that changed are read. */
async function advance(state: ListState, input: { context: ListContext; tips: Tips }): Promise<ListState> {
  const { context, tips } = input;
  if (state.statusTip !== tips.status) {
    if (tips.status === null) clearStatus(state);
    else
      await applyStatus(state, { context, changes: await context.source.diff(state.statusTip, tips.status) });
  }
  if (state.watchedTip !== tips.watched) {
    if (tips.watched === null) state.manifests.clear();
    else applyManifests(state, await context.source.diff(state.watchedTip, tips.watched));
  }
  state.statusTip = tips.status;
  state.watchedTip = tips.watched;
  return state;
}

function clearStatus(state: ListState): void {
  state.records.clear();
  state.expired.clear();
  state.problems.clear();
}

async function applyStatus(
  state: ListState,
  input: { context: ListContext; changes: ChangedFile[] },
): Promise<void> {
  const changes = input.changes.filter((change) => statusKind(change.path) !== null);
  const oids = changes.flatMap((change) => (change.oid === null ? [] : [change.oid]));
  const blobs = await input.context.status.readBlobs(oids);
  for (const change of changes) {
    const data = change.oid === null ? undefined : blobs.get(change.oid);
    const value = data === undefined ? undefined : parseJson(data);
    const blob = change.oid ?? "";
    const kind = statusKind(change.path);
    const map = kind === "record" ? state.records : kind === "expired" ? state.expired : state.problems;
    if (value === undefined) map.delete(change.path);
    else if (kind === "record") state.records.set(change.path, { blob, value: summarizeSession(value) });
    else (map as Map<string, Kept<unknown>>).set(change.path, { blob, value });
  }
}

function applyManifests(state: ListState, changes: ChangedFile[]): void {
  for (const change of changes) {
    if (!isManifestPath(change.path)) continue;
    if (change.oid === null) {
      state.manifests.delete(change.path);
      continue;
    }
    state.manifests.set(change.path, { blob: change.oid, mode: change.mode, parse: null });
  }
}

/** The list from the state; `reparsed` when manifests were read (or forgotten), so the cache changed. */
async function compute(
  state: ListState,
  context: ListContext,
): Promise<{ listed: ListedSessions; reparsed: boolean }> {
  const records = byPath(state.records)
    .map(([, kept]) => kept.value)
    .sort((a, b) => compareNames(a.name, b.name));
  const expired = byPath(state.expired).map(([, kept]) => kept.value);
  const settled = settledSessions({ records, expired });
  const tip = state.watchedTip;
  const tree = tip === null ? null : await readTree(state, { context, tip, settled });
  const reparsed = tree !== null && keepParses(state, tree);
  const views = sessionViews<SessionSummary>({
    records,
    desired: tree?.desired ?? null,
    expired: new Map(expired.map((record) => [record.name, record])),
  });
  const problems = mergeProblems({
    computed: tree?.desired.problems ?? null,
    recorded: byPath(state.problems).map(([, kept]) => kept.value),
    blobs: tree?.blobs ?? null,
  });
  const blobOf = new Map<SessionSummary, string>(
    [...state.records.values()].map((kept) => [kept.value, kept.blob]),
  );
  const whole = async (items: readonly SessionSummary[]): Promise<SessionRecord[]> => {
    const blobs = await context.status.readBlobs(items.flatMap((item) => blobOf.get(item) ?? []));
    return items.map((item) => {
      const blob = blobOf.get(item);
      const data = blob === undefined ? undefined : blobs.get(blob);
      return (data === undefined ? item : parseJson(data)) as SessionRecord;
    });
  };
  return { listed: { sessions: views, problems, whole }, reparsed };
}

/** The watched branch's manifests through readManifestTree, with the kept parses as its parse cache. */
function readTree(
  state: ListState,
  input: { context: ListContext; tip: string; settled: (path: string, blob: string) => boolean },
): Promise<ManifestTree> {
  const entries: ChangedFile[] = byPath(state.manifests).map(([path, entry]) => ({
    path,
    status: "added",
    oid: entry.blob,
    oldOid: null,
    mode: entry.mode,
  }));
  const cache = new ManifestParseCache({
    maxEntries: entries.length + 1,
    maxTextChars: Number.MAX_SAFE_INTEGER,
  });
  for (const [path, entry] of state.manifests)
    if (entry.parse !== null) cache.set({ blob: entry.blob, path, mode: entry.mode }, entry.parse);
  const source = input.context.source;
  return readManifestTree({
    source: { diff: () => Promise.resolve(entries), readBlobs: (oids, max) => source.readBlobs(oids, max) },
    commit: input.tip,
    settled: input.settled,
    leaveSettledUnread: true,
    cache,
  });
}

/** Keeps the parse of every file the tree read and drops those of files left unread; true if any changed. */
function keepParses(state: ListState, tree: ManifestTree): boolean {
  let changed = false;
  const read = new Set<string>();
  for (const file of tree.files) {
    read.add(file.path);
    const entry = state.manifests.get(file.path);
    if (entry === undefined || entry.parse !== null) continue;
    entry.parse = { text: tree.texts.get(file.path) ?? "", parsed: file.parsed };
    changed = true;
  }
  for (const [path, entry] of state.manifests) {
    if (entry.parse === null || read.has(path)) continue;
    entry.parse = null;
    changed = true;
  }
  return changed;
}

/** Entries in the order of `git ls-tree` (byte order of paths), as a read without the cache sees them. */
function byPath<T>(map: ReadonlyMap<string, T>): Array<[string, T]> {
  return [...map].sort(([a], [b]) => compareNames(a, b));
}

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8")) as unknown;
  } catch {
    return undefined;
  }
}

/** The state as JSON: arrays of [path, blob, value], and [path, blob, mode, text, parse]. */
function toJson(state: ListState): unknown {
  const kept = <T>(map: Map<string, Kept<T>>) => [...map].map(([path, k]) => [path, k.blob, k.value]);
  return {
    statusTip: state.statusTip,
    watchedTip: state.watchedTip,
    records: kept(state.records),
    expired: kept(state.expired),
    problems: kept(state.problems),
    manifests: [...state.manifests].map(([path, e]) => [
      path,
      e.blob,
      e.mode,
      e.parse?.text ?? null,
      e.parse?.parsed ?? null,
    ]),
  };
}

type Row = [string, string, ...unknown[]];

/** The state of a checked cache body; null when its shape is not the one written (then rebuilt). */
function fromJson(body: unknown): ListState | null {
  const json = body as Record<string, unknown> | null;
  if (json === null || typeof json !== "object") return null;
  const { statusTip, watchedTip } = json;
  const lists = [json.records, json.expired, json.problems, json.manifests];
  if (!isTip(statusTip) || !isTip(watchedTip) || !lists.every(isRows)) return null;
  const kept = <T>(rows: unknown) =>
    new Map((rows as Row[]).map(([path, blob, value]) => [path, { blob, value: value as T }]));
  return {
    statusTip,
    watchedTip,
    records: kept<SessionSummary>(json.records),
    expired: kept<ExpiredRecord>(json.expired),
    problems: kept<ProblemRecord>(json.problems),
    manifests: new Map(
      (json.manifests as Row[]).map(([path, blob, mode, text, parsed]) => [
        path,
        {
          blob,
          mode: String(mode),
          parse: parsed === null ? null : { text: String(text), parsed: parsed as ParsedFile },
        },
      ]),
    ),
  };
}

function isTip(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}

function isRows(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.every((row) => Array.isArray(row) && typeof row[0] === "string" && typeof row[1] === "string")
  );
}
