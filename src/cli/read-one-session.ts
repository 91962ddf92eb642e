/**
 * One session as `sessions list` would show it, read without listing the others: the status
 * branch's files of that name (record, expiry note, problems) and, on the watched branch, the
 * session's manifest, its configuration, the sources and cfs.yaml: what the session's view and its
 * problems depend on. On 10,000 sessions this reads a handful of files instead of 20,000.
 */
import {
  KIND_DIRS,
  OPTIONS_PATH,
  expiredPath,
  manifestStem,
  sessionRecordPath,
  type ExpiredRecord,
  type ProblemRecord,
  type SessionManifest,
  type SessionRecord,
} from "../api/index.js";
import { listTree, treeAsAdded } from "../git/diff-tree.js";
import type { ChangedFile } from "../git/types.js";
import { mergeProblems } from "./problems.js";
import type { RepoContext } from "./repo-options.js";
import { manifestPathsOf, readManifestTree, type ManifestTree } from "./repo-tree.js";
import { settledSessions } from "./settled-sessions.js";
import { sessionViews } from "./session-view.js";

/** A session's view (null when there is none) and the problems of its manifest files. */
export interface OneSession {
  view: SessionRecord | null;
  problems: ProblemRecord[];
}

/** What the status branch holds for one session name. */
interface StatusOfOne {
  record: SessionRecord | null;
  expired: ExpiredRecord | null;
  problems: ProblemRecord[];
}

type Context = Pick<RepoContext, "source" | "status" | "gitDir">;

const PROBLEMS_OF_SESSIONS = "problems/sessions/";

/** True when a manifest path is one of the session `name`'s files (`sessions/<name>.yaml`, or odd ones). */
export function isSessionFileOf(path: string, name: string): boolean {
  return path.startsWith("sessions/") && manifestStem(path) === name;
}

/** Reads session `name` (see the module comment); the same view and problems as reading them all. */
export async function readOneSession(input: { context: Context; name: string }): Promise<OneSession> {
  const { context, name } = input;
  if (name.includes("/") || name === "") return { view: null, problems: [] }; // never a file stem
  // The status branch's tip first (for a remote, its fetch), then its files and the watched
  // branch's tip and session files at once: git processes that overlap, not one after another.
  const statusAt = await statusTip(context.status);
  const [status, watched] = await Promise.all([
    readStatusOf(context, { name, tip: statusAt }),
    sessionFilesOf(context, name),
  ]);
  const tree = watched === null ? null : await readTreeOf({ context, name, status, ...watched });
  return viewOf({ name, status, tree });
}

/** The watched branch's tip and the session's own manifest files there (null: no branch). */
async function sessionFilesOf(
  context: Context,
  name: string,
): Promise<{ tip: string; own: ChangedFile[] } | null> {
  const tip = await context.source.fetchTip();
  if (tip === null) return null;
  return { tip, own: await listPaths(context, tip, manifestPathsOf("Session", name)) };
}

/** The session's view and problems from what was read. Pure. */
function viewOf(input: { name: string; status: StatusOfOne; tree: ManifestTree | null }): OneSession {
  const { name, status, tree } = input;
  const views = sessionViews({
    records: status.record === null ? [] : [status.record],
    desired: tree?.desired ?? null,
    expired: new Map(status.expired === null ? [] : [[status.expired.name, status.expired]]),
  });
  const problems = mergeProblems({
    computed: tree?.desired.problems ?? null,
    recorded: status.problems,
    blobs: tree?.blobs ?? null,
  }).filter((problem) => isSessionFileOf(problem.path, name));
  return { view: views.find((view) => view.name === name) ?? null, problems };
}

async function statusTip(status: Context["status"]): Promise<string | null> {
  return status.headTip ? status.headTip() : (await status.load()).tip;
}

async function readStatusOf(
  context: Context,
  at: { name: string; tip: string | null },
): Promise<StatusOfOne> {
  const { name, tip } = at;
  const wanted = [sessionRecordPath(name), expiredPath(name), PROBLEMS_OF_SESSIONS];
  const entries = tip === null ? [] : await listTree({ gitDir: context.gitDir, commit: tip, paths: wanted });
  const problemEntries = entries.filter((entry) => isProblemOf(entry.path, name));
  const blobs = await context.status.readBlobs(entries.map((entry) => entry.oid));
  const json = <T>(path: string): T | null => {
    const data = blobs.get(entries.find((entry) => entry.path === path)?.oid ?? "");
    return data === undefined ? null : parseJson<T>(data);
  };
  return {
    record: json<SessionRecord>(sessionRecordPath(name)),
    expired: json<ExpiredRecord>(expiredPath(name)),
    problems: problemEntries
      .map((entry) => json<ProblemRecord>(entry.path))
      .filter((problem): problem is ProblemRecord => problem !== null),
  };
}

function isProblemOf(path: string, name: string): boolean {
  return (
    path.startsWith(PROBLEMS_OF_SESSIONS) && path.endsWith(".json") && isSessionFileOf(manifestOf(path), name)
  );
}

/** The manifest path a problem file is about (`problems/<path>.json`). */
function manifestOf(problemPath: string): string {
  return problemPath.slice("problems/".length, -".json".length);
}

/** A status file as JSON, or null when it is damaged (skipped, as the status reader does). */
function parseJson<T>(data: Buffer): T | null {
  try {
    return JSON.parse(data.toString("utf8")) as T;
  } catch {
    return null;
  }
}

/**
 * The watched branch's files the session depends on, read and assembled as readManifestTree does
 * for the whole branch: the session's own files first; only when one of them must be read and is
 * valid (a session not settled), cfs.yaml, the sources and the configurations it names. A settled
 * session so parses nothing: its record is its view.
 */
async function readTreeOf(input: {
  context: Context;
  name: string;
  tip: string;
  /** The session's manifest files (manifestPathsOf), listed already. */
  own: ChangedFile[];
  status: StatusOfOne;
}): Promise<ManifestTree> {
  const { context, name, tip, status } = input;
  const settled = settledSessions({
    records: status.record === null ? [] : [status.record],
    expired: status.expired === null ? [] : [status.expired],
  });
  const read = (entries: ChangedFile[]): Promise<ManifestTree> =>
    readManifestTree({
      source: {
        diff: () => Promise.resolve(entries),
        readBlobs: (o, max) => context.source.readBlobs(o, max),
      },
      commit: tip,
      settled,
      leaveSettledUnread: true,
    });
  // A recorded problem may name another file of the session (an odd extension): listed with them.
  const sessionPaths = manifestPathsOf("Session", name);
  const more = status.problems.map((problem) => problem.path).filter((path) => !sessionPaths.includes(path));
  const own = more.length === 0 ? input.own : await listPaths(context, tip, [...sessionPaths, ...more]);
  const tree = await read(own);
  const configurations = configurationsNamed(tree);
  if (configurations.length === 0) return tree;
  const shared = [OPTIONS_PATH, `${KIND_DIRS.Source}/`];
  const paths = configurations.flatMap((config) => manifestPathsOf("Configuration", config));
  const named = await read([...own, ...(await listPaths(context, tip, [...shared, ...paths]))]);
  if (configurations.every((config) => named.desired.configurations.has(config))) return named;
  // A configuration that cannot be used: its problem names the ones that can, so read them all.
  const all = [...shared, `${KIND_DIRS.Configuration}/`];
  return read([...own, ...(await listPaths(context, tip, all))]);
}

/** The configurations the valid session files of a tree name. */
function configurationsNamed(tree: ManifestTree): string[] {
  const names = tree.files.flatMap((file) =>
    file.parsed.ok && file.parsed.kind === "Session"
      ? [(file.parsed.manifest as SessionManifest).configuration.name]
      : [],
  );
  return [...new Set(names)];
}

async function listPaths(context: Context, tip: string, paths: readonly string[]): Promise<ChangedFile[]> {
  return treeAsAdded(await listTree({ gitDir: context.gitDir, commit: tip, paths: [...new Set(paths)] }));
}
