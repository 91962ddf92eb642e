/**
 * Whole directories of a status commit built in-process: when one flat directory gets many changed
 * files (10,000 component records in one pass), its new tree object is computed here from the
 * parent's blob ids and the new ones, and fast-import is handed one `M 040000 <tree> dir` line
 * (plus the new blobs) instead of one `M` line per file, which fast-import applies by a linear
 * search of the directory (quadratic in its size). The commit is byte for byte the one the per-file
 * lines make. Pure: data in, data out.
 */
import { createHash } from "node:crypto";

/** Changed files in one directory from which building its tree here pays off. */
export const MIN_CHANGES_FOR_TREE = 256;

/** Mode of the files the status store writes; a directory holding anything else is left to fast-import. */
export const REGULAR_FILE_MODE = "100644";

/** A directory's new tree, to be written before the commit that uses it. */
export interface DirectoryTree {
  /** Directory path (no trailing slash). */
  path: string;
  /** The tree object's content (entries sorted as git sorts them). */
  content: Buffer;
  /** Its object id. */
  oid: string;
}

/** How a commit's changes are split: directories replaced whole, and the rest as per-file changes. */
export interface TreePlan {
  trees: DirectoryTree[];
  /** New contents of the files inside `trees` (fast-import must store them as blobs). */
  blobs: Buffer[];
  /** Changes outside `trees`, in their original order. */
  rest: Array<[string, Buffer | null]>;
}

/** What `planDirectoryTrees` needs: the parent's files and the changes with their new blob ids. */
export interface TreePlanInput {
  /** Every file of the parent commit: path -> blob id. */
  files: ReadonlyMap<string, string>;
  /** Paths of the parent whose mode is not 100644 (symlinks, executables, submodules). */
  special: ReadonlySet<string>;
  /** Path -> new content (`null`: deleted); only real changes. */
  changes: ReadonlyMap<string, Buffer | null>;
  /** Path -> new blob id (`null`: deleted), for every path of `changes`. */
  oids: ReadonlyMap<string, string | null>;
  format: "sha1" | "sha256";
  /** Default MIN_CHANGES_FOR_TREE. */
  minChanges?: number | undefined;
}

/** Split the changes into directories built here (flat, regular files, many changes) and the rest. */
export function planDirectoryTrees(input: TreePlanInput): TreePlan {
  const candidates = busyDirectories(input.changes.keys(), input.minChanges ?? MIN_CHANGES_FOR_TREE);
  const trees: DirectoryTree[] = [];
  for (const dir of candidates) {
    const tree = directoryTree({ ...input, dir });
    if (tree) trees.push(tree);
  }
  const covered = new Set(trees.map((t) => t.path));
  const blobs: Buffer[] = [];
  const rest: Array<[string, Buffer | null]> = [];
  for (const [path, content] of input.changes) {
    if (!covered.has(parentOf(path))) rest.push([path, content]);
    else if (content !== null) blobs.push(content);
  }
  return { trees, blobs, rest };
}

/** The object id git gives a tree with this content. */
export function hashTree(content: Buffer, format: "sha1" | "sha256" = "sha1"): string {
  return createHash(format).update(`tree ${content.length}\0`).update(content).digest("hex");
}

/** Directories (parents of changed paths) with at least `min` changes. */
function busyDirectories(paths: Iterable<string>, min: number): string[] {
  const counts = new Map<string, number>();
  for (const path of paths) {
    const dir = parentOf(path);
    if (dir !== "") counts.set(dir, (counts.get(dir) ?? 0) + 1);
  }
  return [...counts].filter(([, n]) => n >= min).map(([dir]) => dir);
}

/** The new tree of `dir`, or null when it is not flat, holds a special file, or ends empty. */
function directoryTree(input: TreePlanInput & { dir: string }): DirectoryTree | null {
  const prefix = `${input.dir}/`;
  const entries = new Map<string, string>();
  for (const [path, oid] of input.files) {
    if (!path.startsWith(prefix)) continue;
    const name = path.slice(prefix.length);
    if (name.includes("/") || input.special.has(path)) return null;
    entries.set(name, oid);
  }
  for (const [path, oid] of input.oids) {
    if (parentOf(path) !== input.dir) continue;
    const name = path.slice(prefix.length);
    if (oid === null) entries.delete(name);
    else entries.set(name, oid);
  }
  if (entries.size === 0) return null;
  const content = treeContent(entries);
  return { path: input.dir, content, oid: hashTree(content, input.format) };
}

/**
 * A tree of regular files as git writes it: `100644 <name>\0<raw id>` per entry, sorted by the
 * names' bytes (git compares a file's name as it is; with no subdirectories that is plain order).
 */
function treeContent(entries: ReadonlyMap<string, string>): Buffer {
  const named = [...entries].map(([name, oid]) => ({ name: Buffer.from(name, "utf8"), oid }));
  named.sort((a, b) => Buffer.compare(a.name, b.name));
  const parts: Buffer[] = [];
  for (const { name, oid } of named) {
    parts.push(Buffer.from(`${REGULAR_FILE_MODE} `), name, Buffer.from([0]), Buffer.from(oid, "hex"));
  }
  return Buffer.concat(parts);
}

function parentOf(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash);
}
