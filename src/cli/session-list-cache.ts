/**
 * `sessions list` from a cache kept in the repository's git directory: the summaries of the
 * status branch's records (with their blob ids), its expiry notes and problems, and the watched
 * branch's manifest files with the parse of each one that must be read (settled session files are
 * never read, as in the controller). The cache names the two tips it was built from; when a tip
 * moved it is brought up to date from `git diff-tree OLD NEW`, reading only the changed blobs.
 * The list is then computed from it by the same functions as without a cache (readManifestTree,
 * sessionViews, mergeProblems), so the answer is the same; json and yaml print whole records,
 * read by blob id for the sessions printed. A cache that cannot be used is rebuilt (cache-file.ts).
 *
 * Two smaller files keep the last answer, stamped with the same two tips, for the lists people
 * type most: its rows (listRows: tables, wide and names, filtered there) and the template of the
 * bare table (defaultTable). While neither tip moves, such a list reads only one of them.
 */
import { statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sessionNameOfRecordPath, type ProblemRecord, type SessionRecord } from "../api/index.js";
import { readBranchFromFiles } from "../git/ref-files.js";
import { readCacheFile, writeCacheFile } from "./cache-file.js";
import { listRowOf, rowsFromJson, rowsToJson, type ListRow } from "./list-rows.js";
import { isTableTemplate, tableTemplate, type TableTemplate } from "./session-list.js";
import { invalidSessions } from "./problems.js";
import type { RepoContext } from "./repo-options.js";
import type { SessionSummary } from "./session-summary.js";

/** Bump when what the cache holds, or how a manifest or record is read, changes. */
export const LIST_CACHE_FORMAT = 2;

/** The sessions and problems `sessions list` shows. */
export interface ListedSessions {
  /** Summaries of recorded sessions; whole records of pending ones. Sorted by name. */
  sessions: SessionSummary[];
  problems: ProblemRecord[];
  /** The whole records of some of `sessions` (for json and yaml). */
  whole(items: readonly SessionSummary[]): Promise<SessionRecord[]>;
}

export type ListContext = Pick<RepoContext, "source" | "status" | "gitDir" | "io"> & {
  config: Pick<RepoContext["config"], "branch" | "statusBranch" | "kind">;
};

export interface Tips {
  status: string | null;
  watched: string | null;
}

/**
 * What `sessions list` shows: through the cache, or with CFS_GITOPS_LIST_CACHE=off by reading
 * every record and manifest (the answer is the same; the switch is for comparing and debugging).
 */
export async function listSessions(context: ListContext): Promise<ListedSessions> {
  const state = await import("./session-list-state.js"); // parsing and git diffs: only when used
  return cacheOff(context) ? state.listSessionsUncached(context) : state.listSessionsCached(context);
}

/** The rows and problems `sessions list` prints as a table or as names. */
export interface ListedRows {
  rows: ListRow[];
  problems: ProblemRecord[];
}

/**
 * The rows of `sessions list` for tables and names. Each answer is kept (a second, small cache
 * file: the rows and problems, and the two tips they were computed at); while neither branch
 * moves, the next list reads only that file. Otherwise the rows come from listSessions.
 */
export async function listRows(context: ListContext, at?: Tips): Promise<ListedRows> {
  if (cacheOff(context)) return rowsOf(await listSessions(context));
  return keptAnswer({
    context,
    kind: "rows",
    ...(at === undefined ? {} : { tips: at }),
    compute: async (tips) => {
      const { listSessionsCached } = await import("./session-list-state.js");
      return rowsOf(await listSessionsCached(context, tips));
    },
    forward: async (kept, from, to) =>
      (await import("./rows-after-records.js")).rowsAfterRecords({ context, kept, from, to }),
    encode: (listed) => ({ rows: rowsToJson(listed.rows), problems: listed.problems }),
    decode: rowsFrom,
  });
}

/**
 * The template of the table a bare `sessions list` prints (session-list.ts), kept in a third file
 * stamped with the two tips: while neither branch moves, that list reads only this file (0.9 MB
 * for 10,000 sessions) and computes the ages. Null with CFS_GITOPS_LIST_CACHE=off, or when the
 * table has no template (tableTemplate): it is then rendered from rows, as every other list (and
 * tests compare the two byte for byte).
 */
export async function defaultTable(context: ListContext): Promise<TableTemplate | null> {
  if (cacheOff(context)) return null;
  return keptAnswer({
    context,
    kind: "table",
    compute: async (tips) => templateOf(await listRows(context, tips)),
    encode: (template) => ({ template }),
    decode: templateFrom,
  });
}

/**
 * An answer kept in its cache file with the two tips it was computed at: read back while they
 * are the tips now (and the body decodes), else brought forward from them (`forward`, when it
 * can), else computed at the tips now (`tips`, or read), and kept for the next list. A local
 * repository's ref files are asked first: when they still name the kept tips, no git process
 * starts (ref-files.ts).
 */
async function keptAnswer<T>(input: {
  context: ListContext;
  kind: "rows" | "table";
  tips?: Tips;
  compute: (tips: Tips) => Promise<T>;
  /** The kept answer (computed at `from`) as it is at `to`; undefined when it cannot say. */
  forward?: (kept: T, from: Tips, to: Tips) => Promise<T | undefined>;
  encode: (value: T) => Record<string, unknown>;
  /** The kept answer; undefined when the body is not one. */
  decode: (json: Record<string, unknown>) => T | undefined;
}): Promise<T> {
  const { context } = input;
  const kept = await readKept(context, input.kind);
  const keptAt = (tips: Tips | null): T | undefined =>
    kept.body !== null && sameTips(kept.body.tips, tips) ? input.decode(kept.body.json) : undefined;
  const unchanged = input.tips === undefined ? keptAt(await tipsFromRefFiles(context)) : undefined;
  if (unchanged !== undefined) return unchanged;
  const tips = input.tips ?? (await readTips(context));
  const known = keptAt(tips);
  if (known !== undefined) return known;
  const older = kept.body !== null && input.forward ? input.decode(kept.body.json) : undefined;
  // An error bringing it forward (the old tip pruned, say) is no answer: it is computed anew.
  const forwarded =
    older === undefined || kept.body === null
      ? undefined
      : await input.forward?.(older, kept.body.tips, tips).catch(() => undefined);
  const value = forwarded ?? (await input.compute(tips));
  await writeCacheFile({ file: kept.file, format: kept.format, value: { ...tips, ...input.encode(value) } });
  return value;
}

/** Which kind of status file a path is (as StatusReader and recordedProblems tell them). */
export function statusKind(path: string): "record" | "expired" | "problem" | null {
  if (sessionNameOfRecordPath(path) !== null) return "record";
  if (path.startsWith("expired/")) return "expired";
  if (path.startsWith("problems/") && path.endsWith(".json")) return "problem";
  return null;
}

/** What a kept answer needs of the command: where the repository is and how it is configured. */
type KeptContext = Pick<ListContext, "gitDir" | "io" | "config">;

/** A kept answer's file, and its body with the two tips it names (null when there is none). */
async function readKept(
  context: KeptContext,
  kind: "rows" | "table",
): Promise<{ file: string; format: string; body: { json: Record<string, unknown>; tips: Tips } | null }> {
  const file = listCacheFile(context, kind);
  const format = formatOf(context);
  const json = (await readCacheFile(file, format)) as Record<string, unknown> | null;
  const tips = json === null ? null : tipsOf(json);
  return { file, format, body: json === null || tips === null ? null : { json, tips } };
}

/** The two tips a kept body names; null when they are not two tips. */
function tipsOf(json: Record<string, unknown>): Tips | null {
  const { status, watched } = json;
  const tip = (value: unknown): value is string | null => value === null || typeof value === "string";
  return tip(status) && tip(watched) ? { status, watched } : null;
}

function sameTips(a: Tips, b: Tips | null): boolean {
  return b !== null && a.status === b.status && a.watched === b.watched;
}

/**
 * The kept table of a bare `sessions list` when the ref files still name the tips it was computed
 * at, read without a git process and without opening the repository (quick.ts); null otherwise.
 */
export async function keptTableAtRefs(context: KeptContext): Promise<TableTemplate | null> {
  if (cacheOff(context)) return null;
  const { body } = await readKept(context, "table");
  const unchanged = body !== null && sameTips(body.tips, await tipsFromRefFiles(context));
  return (unchanged ? templateFrom(body.json) : undefined) ?? null;
}

/**
 * The two tips as a local repository's ref files hold them; null when the repository is a
 * remote's cache (its tips come from a fetch) or the files cannot tell (ref-files.ts).
 */
async function tipsFromRefFiles(context: KeptContext): Promise<Tips | null> {
  if (context.config.kind !== "local") return null;
  const [status, watched] = await Promise.all([
    readBranchFromFiles(context.gitDir, context.config.statusBranch),
    readBranchFromFiles(context.gitDir, context.config.branch),
  ]);
  return status === undefined || watched === undefined ? null : { status, watched };
}

function templateOf(listed: ListedRows): TableTemplate | null {
  const recorded = new Set(listed.rows.map((row) => row.name));
  return tableTemplate({
    rows: listed.rows,
    invalid: invalidSessions({ problems: listed.problems, recorded }),
  });
}

/** The kept template (or that there is none) when it has the shape written; undefined otherwise. */
function templateFrom(json: Record<string, unknown>): TableTemplate | null | undefined {
  const template = json["template"];
  return template === null ? null : isTableTemplate(template) ? template : undefined;
}

function cacheOff(context: Pick<ListContext, "io">): boolean {
  return context.io.env["CFS_GITOPS_LIST_CACHE"] === "off";
}

function rowsOf(listed: ListedSessions): ListedRows {
  return { rows: listed.sessions.map(listRowOf), problems: listed.problems };
}

/** The kept rows and problems when the body has the shape written; undefined otherwise. */
function rowsFrom(json: Record<string, unknown>): ListedRows | undefined {
  const problems = json["problems"];
  const rows = Array.isArray(problems) ? rowsFromJson(json["rows"]) : null;
  return rows === null ? undefined : { rows, problems: problems as ProblemRecord[] };
}

/** Where the caches of these branches live: the listing's state, the rows and the table of its last answer. */
export function listCacheFile(
  context: Pick<ListContext, "gitDir" | "config">,
  kind: "state" | "rows" | "table" = "state",
): string {
  const name = `${context.config.branch}\0${context.config.statusBranch}`;
  const id = Buffer.from(name).toString("base64url");
  return join(context.gitDir, "cfs-gitops", `sessions-${id}${kind === "state" ? "" : `.${kind}`}.json`);
}

/** The two tips, one after the other (in a clone each may fetch, and fetches into one repository queue). */
export async function readTips(context: ListContext): Promise<Tips> {
  const status = context.status.headTip ? await context.status.headTip() : (await context.status.load()).tip;
  return { status, watched: await context.source.fetchTip() };
}

/**
 * The format line: the cache's format, the build of the CLI (a new build may read manifests
 * differently) and the branches.
 */
export function formatOf(context: Pick<ListContext, "config">): string {
  return `cfs-gitops sessions-list ${LIST_CACHE_FORMAT} ${buildStamp()} ${context.config.branch} ${context.config.statusBranch}`;
}

/** Set by build/bundle-cli.ts: one id for every file of one build (quick.js and the chunks). */
declare const __CFS_GITOPS_BUILD__: string | undefined;

/** The build's id; unbundled (tsc's files, tests), this file's size and time. */
function buildStamp(): string {
  if (typeof __CFS_GITOPS_BUILD__ === "string") return __CFS_GITOPS_BUILD__;
  const stat = statSync(fileURLToPath(import.meta.url), { throwIfNoEntry: false });
  return stat ? `${stat.size}.${Math.trunc(stat.mtimeMs)}` : "unknown";
}
