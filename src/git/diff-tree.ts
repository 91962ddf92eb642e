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
  const bytes = asBytes(output);
  const files: ChangedFile[] = [];
  for (let at = 0; at < bytes.length;) {
    const metaEnd = fieldEnd(bytes, at);
    if (metaEnd >= bytes.length) break;
    if (bytes[at] !== COLON) {
      throw new Error(`unexpected diff-tree record: ${JSON.stringify(bytes.toString("utf8", at, metaEnd))}`);
    }
    const pathEnd = fieldEnd(bytes, metaEnd + 1);
    const meta = words(bytes, at + 1, metaEnd);
    files.push(changedFile(meta, bytes.toString("utf8", metaEnd + 1, pathEnd)));
    at = pathEnd + 1;
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
  const fields = new NulFields((bytes, at, end) =>
    lsTreeRecord(bytes, at, end, (mode, type, oid, path) => entries.push({ mode, type, oid, path })),
  );
  fields.push(asBytes(output));
  fields.end();
  return entries;
}

type TakeEntry = (mode: string, type: string, oid: string, path: string) => void;

/** One record of `git ls-tree -z` (bytes [at, end)) to `take`, with nothing made in between. */
function lsTreeRecord(bytes: Buffer, at: number, end: number, take: TakeEntry): void {
  const typeAt = bytes.indexOf(SPACE, at) + 1;
  const oidAt = typeAt > 0 ? bytes.indexOf(SPACE, typeAt) + 1 : 0;
  const tab = bytes.indexOf(TAB, at);
  if (typeAt === 0 || oidAt === 0 || tab < oidAt || tab > end) {
    throw new Error(`unexpected ls-tree record: ${JSON.stringify(bytes.toString("utf8", at, end))}`);
  }
  const mode = shortWord(bytes, at, typeAt - 1);
  const type = shortWord(bytes, typeAt, oidAt - 1);
  take(mode, type, bytes.toString("latin1", oidAt, tab), bytes.toString("utf8", tab + 1, end));
}

/**
 * Calls `take` for every file of `commit` (recursively): its mode, blob id and path. The listing is
 * parsed as git writes it, never held whole (321,000 files are 35 MB of output), and each entry
 * goes to `take` with no object or array made for it.
 */
export async function eachTreeEntry(
  options: TreeReadOptions & { commit: string },
  take: (mode: string, oid: string, path: string) => void,
): Promise<void> {
  const { gitDir, commit, signal } = options;
  const args = ["ls-tree", "-r", "-z", "--full-tree", commit];
  const fields = new NulFields((bytes, at, end) =>
    lsTreeRecord(bytes, at, end, (mode, _type, oid, path) => take(mode, oid, path)),
  );
  // A record git wrote that cannot be read fails the listing once git is done (not mid-stream).
  const read: { failure: Error | null } = { failure: null };
  const onStdout = (chunk: Buffer): void => {
    if (read.failure !== null) return;
    try {
      fields.push(chunk);
    } catch (error) {
      read.failure = error instanceof Error ? error : new Error(String(error));
    }
  };
  await runGit({ gitDir, args, onStdout, ...(signal ? { signal } : {}) });
  if (read.failure !== null) throw read.failure;
  fields.end();
}

/**
 * Splits output that comes in chunks into its NUL-terminated fields (a field may span chunks). The
 * fields are handed over as bytes, for the caller to decode each on its own: fields of one decoded
 * text would be slices of it (V8 keeps a substring as a view of its parent), so a path or blob id
 * kept from a 321,000-entry listing would keep the whole 35 MB text alive.
 */
export class NulFields {
  private rest: Buffer = Buffer.alloc(0);

  constructor(private readonly take: (bytes: Buffer, at: number, end: number) => void) {}

  push(chunk: Buffer): void {
    const bytes = this.rest.length > 0 ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    for (let end = bytes.indexOf(NUL, at); end >= 0; end = bytes.indexOf(NUL, at)) {
      this.take(bytes, at, end);
      at = end + 1;
    }
    this.rest = Buffer.from(bytes.subarray(at));
  }

  /** The output ended: a last field with no NUL after it is a field too. */
  end(): void {
    if (this.rest.length > 0) this.take(this.rest, 0, this.rest.length);
    this.rest = Buffer.alloc(0);
  }
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

const NUL = 0;
const TAB = 9;
const SPACE = 32;
const COLON = 58;

function asBytes(output: Buffer | string): Buffer {
  return typeof output === "string" ? Buffer.from(output, "utf8") : output;
}

/** Where the field starting at `at` ends (its NUL, or the end of the output). */
function fieldEnd(bytes: Buffer, at: number): number {
  const end = bytes.indexOf(NUL, at);
  return end < 0 ? bytes.length : end;
}

/**
 * The space-separated words of bytes [start, end), each decoded on its own: a string of its own, not
 * a slice of its record's text (see NulFields), so a kept blob id holds 40 bytes, not the record. A
 * listing's modes and types are few, and repeat as one string each.
 */
function words(bytes: Buffer, start: number, end: number): string[] {
  const out: string[] = [];
  for (let at = start; at <= end;) {
    let stop = bytes.indexOf(SPACE, at);
    if (stop < 0 || stop > end) stop = end;
    out.push(stop - at <= SHORT_WORD ? shortWord(bytes, at, stop) : bytes.toString("latin1", at, stop));
    at = stop + 1;
  }
  return out;
}

/** Words this short (modes, types, status letters) are kept once each. */
const SHORT_WORD = 8;
const shortWords = new Map<string, string>();

function shortWord(bytes: Buffer, start: number, end: number): string {
  const text = bytes.toString("latin1", start, end);
  const known = shortWords.get(text);
  if (known !== undefined) return known;
  if (shortWords.size < 256) shortWords.set(text, text);
  return text;
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
  if (from === null) {
    const files: ChangedFile[] = [];
    await eachTreeEntry({ gitDir, commit: to, ...(signal ? { signal } : {}) }, (mode, oid, path) => {
      files.push({ path, status: "added", oid, oldOid: null, mode });
    });
    return files;
  }
  if (from === to) return [];
  const args = ["diff-tree", "-r", "-z", "--no-renames", "--no-abbrev", "--raw", from, to];
  const { stdout } = await runGit({ gitDir, args, ...(signal ? { signal } : {}) });
  return parseDiffTree(stdout);
}
