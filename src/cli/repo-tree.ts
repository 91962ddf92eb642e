/**
 * The manifests of the configuration repository at one commit (or tree), parsed and assembled the
 * way the controller does, optionally with proposed changes laid over them: what the write commands
 * validate against, and what `diff` compares.
 */
import { KIND_DIRS, MAX_MANIFEST_BYTES, type DirKind } from "../api/index.js";
import { isManifestPath } from "./manifest-path.js";
import type { ChangedFile, ConfigSource } from "../git/types.js";
import { isRegularFileMode } from "../manifest/file-mode.js";
import { formatManifestError } from "../manifest/format-manifest-error.js";
import { locateManifestPointer } from "../manifest/locate-manifest-pointer.js";
import type { parseManifest } from "../manifest/parse-manifest.js";
import { assembleDesired } from "../plan/desired.js";
import type { DesiredState, RepoFile } from "../plan/index.js";
import { mayStayUnread } from "../controller/source-state.js";
import {
  sharedParseCache,
  type CachedManifest,
  type ManifestParseCache,
  type ParseKey,
} from "./manifest-parse-cache.js";

/** The manifests at a commit, with their texts (for error positions) and the assembled desired state. */
export interface ManifestTree {
  /** The commit (or tree id) read. */
  commit: string;
  /** Blob id of every manifest path (after the overlay, `proposed` for overlaid files). */
  blobs: Map<string, string>;
  /** Overlaid paths that existed at the commit (the overlay replaces or removes them). */
  replaced: Set<string>;
  texts: Map<string, string>;
  files: RepoFile[];
  desired: DesiredState;
}

/** Inputs of readManifestTree. */
export interface ReadTreeInput {
  source: Pick<ConfigSource, "diff" | "readBlobs">;
  commit: string;
  /** Proposed changes laid over the commit: path -> new content, null to remove it. */
  overlay?: ReadonlyMap<string, Buffer | null>;
  /** Parses kept by blob (default: the process's shared cache). */
  cache?: ManifestParseCache;
  /** Session files that finished (their references are not checked, as the controller does). */
  settled?: (path: string, blob: string) => boolean;
  /**
   * Leave the settled session files unread, as the controller's cold start does: they stay in
   * `blobs` (present) but not in `texts`, `files` or `desired.sessions`. For readers that show
   * their records instead (`sessions list`, `describe`).
   */
  leaveSettledUnread?: boolean;
}

/** Blob id given to overlaid files (they are not in the repository yet). */
export const PROPOSED_BLOB = "proposed";

/** Reads and parses every manifest at `commit` (plus the overlay); blobs parsed before are not read again. */
export async function readManifestTree(input: ReadTreeInput): Promise<ManifestTree> {
  const entries = (await input.source.diff(null, input.commit)).filter((f) => isManifestPath(f.path));
  const overlay = input.overlay ?? new Map<string, Buffer | null>();
  const present = entries.filter((entry) => !overlay.has(entry.path));
  const unread = new Set(
    input.leaveSettledUnread ? present.filter((entry) => mayStayUnread(entry, input.settled)) : [],
  );
  const kept = unread.size === 0 ? present : present.filter((entry) => !unread.has(entry));
  const known = await readKept({ source: input.source, kept, cache: input.cache ?? sharedParseCache });
  const proposed = await parseOverlay(overlay);
  const blobs = new Map<string, string>();
  const texts = new Map<string, string>();
  const files: RepoFile[] = [];
  const add = (path: string, blob: string, manifest: CachedManifest) => {
    blobs.set(path, blob);
    texts.set(path, manifest.text);
    files.push({ path, blob, commit: input.commit, parsed: manifest.parsed });
  };
  for (const [i, entry] of kept.entries()) add(entry.path, entry.oid ?? "", known[i]!);
  for (const entry of unread) blobs.set(entry.path, entry.oid ?? "");
  for (const [path, manifest] of proposed) add(path, PROPOSED_BLOB, manifest);
  const desired = assembleDesired({
    commit: input.commit,
    files,
    locate: (path, pointer) => locateManifestPointer(texts.get(path) ?? "", pointer),
    settledPaths: [...unread].map((entry) => entry.path),
    ...(input.settled ? { settled: input.settled } : {}),
  });
  const replaced = new Set(entries.filter((entry) => overlay.has(entry.path)).map((entry) => entry.path));
  return { commit: input.commit, blobs, replaced, texts, files, desired };
}

/** The text and parse of each file the overlay adds or changes. */
async function parseOverlay(
  overlay: ReadonlyMap<string, Buffer | null>,
): Promise<Map<string, CachedManifest>> {
  const out = new Map<string, CachedManifest>();
  if (overlay.size === 0) return out;
  const parse = await loadParser();
  for (const [path, content] of overlay)
    if (content !== null) out.set(path, parseFile(parse, { path, bytes: content, mode: "100644" }));
  return out;
}

/** The text and parse of each of `kept`, in order: from the cache, else read (together) and parsed. */
async function readKept(input: {
  source: Pick<ConfigSource, "readBlobs">;
  kept: ChangedFile[];
  cache: ManifestParseCache;
}): Promise<CachedManifest[]> {
  const { kept, cache } = input;
  const keyOf = (entry: ChangedFile): ParseKey | null =>
    isRegularFileMode(entry.mode) && entry.oid !== null
      ? { blob: entry.oid, path: entry.path, mode: entry.mode }
      : null;
  const cached = kept.map((entry) => {
    const key = keyOf(entry);
    return key === null ? undefined : cache.get(key);
  });
  const missing = kept.filter((entry, i) => cached[i] === undefined && keyOf(entry) !== null);
  const [read, parse] = await Promise.all([
    input.source.readBlobs(
      missing.map((entry) => entry.oid ?? ""),
      MAX_MANIFEST_BYTES,
    ),
    cached.every((hit) => hit !== undefined) ? null : loadParser(),
  ]);
  if (parse === null) return cached.flatMap((hit) => (hit === undefined ? [] : [hit])); // all kept
  return kept.map((entry, i) => {
    const hit = cached[i];
    if (hit !== undefined) return hit;
    const blob = entry.oid === null ? undefined : read.get(entry.oid);
    const bytes = isRegularFileMode(entry.mode) ? (blob?.data ?? null) : new Uint8Array();
    const parsed = parseFile(parse, { path: entry.path, bytes, mode: entry.mode, ...sizeOf(blob) });
    const key = keyOf(entry);
    if (key !== null && blob !== undefined) cache.set(key, parsed);
    return parsed;
  });
}

/** The parser (and the schemas and YAML library it loads): only when a file is to be parsed. */
function loadParser(): Promise<typeof parseManifest> {
  return import("../manifest/parse-manifest.js").then((module) => module.parseManifest);
}

function parseFile(
  parse: typeof parseManifest,
  file: { path: string; bytes: Uint8Array | null; size?: number; mode: string },
): CachedManifest {
  const text = file.bytes === null ? "" : Buffer.from(file.bytes).toString("utf8");
  const parsed = parse({ path: file.path, bytes: file.bytes, mode: file.mode, ...sizeOf(file) });
  return { text, parsed };
}

/** Every path a manifest of this kind and name may have (`<dir>/<name>.yaml` or `.yml`). */
export function manifestPathsOf(kind: DirKind, name: string): string[] {
  return [`${KIND_DIRS[kind]}/${name}.yaml`, `${KIND_DIRS[kind]}/${name}.yml`];
}

/** The repository paths of a session's manifest (normally one: `sessions/<name>.yaml`). */
export function sessionManifestPaths(tree: ManifestTree, name: string): string[] {
  return manifestPathsOf("Session", name).filter((path) => tree.blobs.has(path));
}

/** The repository paths of a configuration's manifest. */
export function configurationManifestPaths(tree: ManifestTree, name: string): string[] {
  return manifestPathsOf("Configuration", name).filter((path) => tree.blobs.has(path));
}

/**
 * Why a configuration that has a manifest cannot be used: its file's first problem as
 * `file:line:col: message`; null when it has no manifest or no problem.
 */
export function configurationProblem(tree: ManifestTree, name: string): string | null {
  const [path] = configurationManifestPaths(tree, name);
  const first = path === undefined ? undefined : tree.desired.problems.get(path)?.errors[0];
  return path === undefined || first === undefined ? null : formatManifestError(path, first);
}

function sizeOf(blob: { size?: number } | undefined): { size?: number } {
  return blob?.size === undefined ? {} : { size: blob.size };
}
