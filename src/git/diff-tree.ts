/**
 * Which files differ between two commits: `git diff-tree -r -z --raw` (or `git ls-tree -r` when
 * there is no "from"), parsed into ChangedFile. Modes are kept, so the caller sees symlinks
 * (120000) and submodules (160000) for what they are. The cost follows the size of the change.
 */
import { runGit } from "./run-git.js";
import type { ChangedFile } from "./types.js";

const ZERO_OID = /^0+$/;

/** One entry of `git ls-tree -r -z`. */
export interface TreeEntry {
  mode: string;
  type: string;
  oid: string;
  path: string;
}

/** Parse `git diff-tree -r -z --raw --no-renames` output (`:<m1> <m2> <o1> <o2> <S>\0<path>\0`...). */
export function parseDiffTree(output: Buffer | string): ChangedFile[] {
  const fields = splitNul(output);
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const meta = fields[i] ?? "";
    const path = fields[i + 1] ?? "";
    if (!meta.startsWith(":")) throw new Error(`unexpected diff-tree record: ${JSON.stringify(meta)}`);
    files.push(changedFile(meta.slice(1).split(" "), path));
  }
  return files;
}

function changedFile(meta: string[], path: string): ChangedFile {
  const [oldMode = "", newMode = "", oldOid = "", newOid = "", letter = ""] = meta;
  const oldMissing = ZERO_OID.test(oldOid) || ZERO_OID.test(oldMode);
  const newMissing = ZERO_OID.test(newOid) || ZERO_OID.test(newMode);
  if (letter.startsWith("A") || oldMissing) {
    return { path, status: "added", oid: newOid, oldOid: null, mode: newMode };
  }
  if (letter.startsWith("D") || newMissing) {
    return { path, status: "deleted", oid: null, oldOid, mode: oldMode };
  }
  return { path, status: "modified", oid: newOid, oldOid, mode: newMode };
}

/** Parse `git ls-tree -r -z --full-tree` output (`<mode> <type> <oid>\t<path>\0`...). */
export function parseLsTree(output: Buffer | string): TreeEntry[] {
  const entries: TreeEntry[] = [];
  for (const record of splitNul(output)) {
    const tab = record.indexOf("\t");
    if (tab < 0) throw new Error(`unexpected ls-tree record: ${JSON.stringify(record)}`);
    const [mode = "", type = "", oid = ""] = record.slice(0, tab).split(" ");
    entries.push({ mode, type, oid, path: record.slice(tab + 1) });
  }
  return entries;
}

/** Every entry of a tree as an added file. */
export function treeAsAdded(entries: readonly TreeEntry[]): ChangedFile[] {
  return entries.map((entry) => ({
    path: entry.path,
    status: "added",
    oid: entry.oid,
    oldOid: null,
    mode: entry.mode,
  }));
}

/**
 * The NUL-separated fields of git's output. A Buffer is decoded field by field: the fields of one
 * decoded text would be slices of it (V8 keeps a substring as a view of its parent), so a path or
 * blob id kept from a 321,000-entry listing kept the whole 35 MB text alive.
 */
export function splitNul(output: Buffer | string): string[] {
  if (typeof output === "string") {
    const fields = output.split("\0");
    if (fields.at(-1) === "") fields.pop();
    return fields;
  }
  const fields: string[] = [];
  let start = 0;
  while (start < output.length) {
    const end = output.indexOf(0, start);
    const stop = end < 0 ? output.length : end;
    fields.push(output.toString("utf8", start, stop));
    start = stop + 1;
  }
  return fields;
}

/** Options of `diffCommits` / `listTree`. */
export interface TreeReadOptions {
  gitDir: string;
  signal?: AbortSignal;
}

/**
 * Every file of `commit` (recursively), with mode, type and blob id; with `paths`, only those files
 * and the files under those folders (an empty list lists nothing).
 */
export async function listTree(
  options: TreeReadOptions & { commit: string; paths?: readonly string[] },
): Promise<TreeEntry[]> {
  const { gitDir, commit, signal, paths } = options;
  if (paths?.length === 0) return [];
  const args = ["ls-tree", "-r", "-z", "--full-tree", commit, ...(paths ? ["--", ...paths] : [])];
  const { stdout } = await runGit({ gitDir, args, ...(signal ? { signal } : {}) });
  return parseLsTree(stdout);
}

/** Files that differ between `from` and `to`; with `from` null, every file of `to` as added. */
export async function diffCommits(
  options: TreeReadOptions & { from: string | null; to: string },
): Promise<ChangedFile[]> {
  const { gitDir, from, to, signal } = options;
  if (from === null)
    return treeAsAdded(await listTree({ gitDir, commit: to, ...(signal ? { signal } : {}) }));
  if (from === to) return [];
  const args = ["diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", "--raw", from, to];
  const { stdout } = await runGit({ gitDir, args, ...(signal ? { signal } : {}) });
  return parseDiffTree(stdout);
}
