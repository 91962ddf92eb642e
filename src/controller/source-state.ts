/**
 * What the controller knows of the watched branch: every manifest file at the last processed commit,
 * kept up to date by diffs so each pass reads only what changed. Parsed manifests are cached by blob id
 * and path (the path decides a manifest's kind and the name it must carry).
 *
 * A session file whose session already completed from exactly its blob (the status branch says so)
 * is not read at all: sessions are immutable, so nothing the planner decides about it depends on its
 * content, only on its presence. Its path is kept in `settledPaths`; if its record goes away (say the
 * status branch was reset) the next sync reads it like any other file. A restart on a repository of
 * 10,000 completed sessions so reads and parses none of them, and a file read while its session ran
 * is let go (its text and parse) once the session completes from it.
 */
import type { Logger } from "pino";
import {
  MAX_MANIFEST_BYTES,
  ansibleConfigNameOfPath,
  isSessionsPath,
  kindOfPath,
  manifestPath,
} from "../api/index.js";
import type { BlobRead, ConfigSource, ChangedFile } from "../git/types.js";
import { isRegularFileMode } from "../manifest/file-mode.js";
import { chunk } from "../plan/chunk.js";
import type { ParsedFile, PathSet, RepoFile } from "../plan/index.js";

const MAX_ANSIBLE_CONFIG_BYTES = 256 * 1024;

/** Parses one manifest file (the manifest room's parseManifest). */
export type ParseFn = (input: { path: string; bytes: Uint8Array; mode?: string }) => ParsedFile;

/** Parses many files at once, results in order (ParsePool: worker threads). */
export type ParseManyFn = (
  inputs: Array<{ path: string; bytes: Uint8Array; mode?: string }>,
) => Promise<ParsedFile[]>;

/** True when the session file `path` needs no reading: its session completed from blob `blob`. */
export type SettledFn = (path: string, blob: string) => boolean;

/** A manifest file with its bytes, kept for error positions across files. */
export interface KnownFile extends RepoFile {
  bytes: Uint8Array;
  /** Its git mode ("100644" for a regular file). */
  mode: string;
}

/** The outcome of one sync: whether the branch moved and how many files were read. */
export interface SyncResult {
  commit: string;
  moved: boolean;
  changed: number;
  read: number;
}

/** Options of SourceState. */
export interface SourceStateOptions {
  source: ConfigSource;
  parse: ParseFn;
  /**
   * Parses the files of a large read together (worker threads), for reads of `manyFrom` files or
   * more (default 50,000: the workers' heaps add ~100 MiB at the peak, and below that starting them
   * costs about what they save; a restart of 100,000 sessions reads the 21,000 other manifests on
   * this thread). Since plain YAML is read without positions, they about break even on 2 cores.
   * Default: `parse`, one after another, on this thread.
   */
  parseMany?: ParseManyFn;
  manyFrom?: number;
  /** With parseMany, files read at once: the next part is read while one is parsed (default 4,000). */
  readPart?: number;
  log: Logger;
  /** Which session files may stay unread (default: none). */
  settled?: SettledFn;
  /**
   * The session names whose records changed since it was last called ("all": any may have): only
   * their unread files are checked again (default: every unread file at every sync). Checking
   * every one is a walk over every unread file, ~50 ms for 100,000.
   */
  settledChanges?: () => ReadonlySet<string> | "all";
  /**
   * The path and blob id a settled session file's record holds (its source), if any: an unread
   * entry keeps those strings rather than equal copies of its own (100,000 of each at a restart).
   */
  heldSource?: (path: string) => { path: string; blob: string } | undefined;
}

/**
 * A session file left unread (keyed by its path): its blob and mode, and the commit in which its
 * blob was first seen at its path. One small object each: a restart of 100,000 sessions keeps
 * 100,000 of them.
 */
interface UnreadFile {
  oid: string;
  mode: string;
  commit: string;
}

/** The manifests at the last processed commit, updated incrementally. */
export class SourceState {
  commit: string | null = null;
  /** Goes up whenever `files`, `settledPaths` or `ansibleConfigs` change. */
  version = 0;
  /** Goes up whenever a file outside `sessions/` changes (the desired state's base is made again then). */
  baseVersion = 0;
  /** Goes up whenever a path leaves `presentPaths` (a file deleted). */
  presenceVersion = 0;
  readonly files = new Map<string, KnownFile>();
  readonly ansibleConfigs = new Map<string, string>();
  private readonly parsedByBlob = new Map<string, ParsedFile>();
  private readonly unread = new Map<string, UnreadFile>();
  /**
   * Every manifest path present at `commit`, read or not (the keys of `files` and of the unread
   * files, in one set: the planner looks up every completed session's path in it each pass).
   */
  private readonly present = new Set<string>();

  constructor(private readonly options: SourceStateOptions) {}

  /** Paths of the session files present at `commit` that were left unread (settled). */
  get settledPaths(): Iterable<string> {
    return this.unread.keys();
  }

  /** See `present`; answers from the state as it is now. */
  get presentPaths(): PathSet {
    return this.present;
  }

  /**
   * Brings the state to the branch tip, and reads the unread files that are no longer settled;
   * null when the branch does not exist (nothing is changed then).
   */
  async sync(): Promise<SyncResult | null> {
    const tip = await this.options.source.fetchTip();
    if (tip === null) return null;
    const due = await this.readUnsettled();
    if (tip === this.commit) return { commit: tip, moved: false, changed: 0, read: due };
    const changes = (await this.options.source.diff(this.commit, tip)).filter(isInteresting);
    const read = await this.apply(changes, tip);
    this.commit = tip;
    this.version += 1;
    if (changes.some((change) => !isSessionsPath(change.path))) this.baseVersion += 1;
    return { commit: tip, moved: true, changed: changes.length, read: read + due };
  }

  /**
   * Reads the unread files whose session is no longer settled (its record went away or changed),
   * and lets go of the read session files whose session settled (completed from that blob).
   */
  private async readUnsettled(): Promise<number> {
    const settled = this.options.settled;
    const changed = this.options.settledChanges?.() ?? "all";
    if (!settled) return 0;
    this.letGoSettled(changed, settled);
    if (this.unread.size === 0) return 0;
    const candidates = changed === "all" ? [...this.unread] : this.unreadOf(changed);
    const due = candidates.filter(([path, file]) => !settled(path, file.oid));
    if (due.length === 0) return 0;
    for (const [path] of due) this.unread.delete(path);
    const commits = new Map(due.map(([path, file]) => [path, file.commit]));
    const read = await this.read(
      due.map(([path, file]) => unreadChange(path, file)),
      (change) => commits.get(change.path) ?? "",
    );
    this.version += 1;
    return read;
  }

  /** The unread files of these sessions (`sessions/<name>.yaml` or `.yml`). */
  private unreadOf(names: ReadonlySet<string>): Array<[string, UnreadFile]> {
    return sessionPathsOf(names).flatMap((path) => {
      const file = this.unread.get(path);
      return file ? [[path, file] as [string, UnreadFile]] : [];
    });
  }

  /**
   * Read session files whose session settled since become unread, as if a restart found them: their
   * text and parse are let go (100,000 sessions run since a start are not all held), and only
   * their presence is kept.
   */
  private letGoSettled(changed: ReadonlySet<string> | "all", settled: SettledFn): void {
    const paths = changed === "all" ? [...this.files.keys()] : sessionPathsOf(changed);
    let moved = false;
    for (const path of paths) {
      const file = this.files.get(path);
      if (!file || !isSessionFile(file) || !settled(path, file.blob)) continue;
      this.files.delete(path);
      this.parsedByBlob.delete(parseKey(file.blob, path));
      this.unread.set(path, { oid: file.blob, mode: file.mode, commit: file.commit });
      moved = true;
    }
    if (moved) this.version += 1;
  }

  private async apply(changes: ChangedFile[], commit: string): Promise<number> {
    const toRead: ChangedFile[] = [];
    for (const change of changes) {
      if (change.status === "deleted" || change.oid === null) {
        if (this.present.delete(change.path)) this.presenceVersion += 1;
        this.unread.delete(change.path);
        toRead.push(change);
      } else if (!this.leaveUnread(change, commit)) {
        if (ansibleConfigNameOfPath(change.path) === null) this.present.add(change.path);
        toRead.push(change);
      }
    }
    return this.read(toRead, () => commit);
  }

  /**
   * Records a settled session file as unread and present (true), or forgets an unread entry the
   * change replaces (false).
   */
  private leaveUnread(change: ChangedFile, commit: string): boolean {
    const previous = this.unread.get(change.path);
    this.unread.delete(change.path);
    if (!mayStayUnread(change, this.options.settled)) return false;
    const held = this.options.heldSource?.(change.path);
    const path = held?.path === change.path ? held.path : change.path;
    const oid = held?.blob === change.oid ? held.blob : (change.oid ?? "");
    this.unread.set(path, { oid, mode: change.mode, commit: this.firstSeen(change, previous, commit) });
    this.present.add(path);
    this.files.delete(change.path);
    return true;
  }

  /** The commit in which the blob of `change` was first seen at its path (`commit` if it is new there). */
  private firstSeen(change: ChangedFile, unread: UnreadFile | undefined, commit: string): string {
    if (unread?.oid === change.oid) return unread.commit;
    const known = this.files.get(change.path);
    return known?.blob === change.oid ? known.commit : commit;
  }

  /** Reads and parses `changes` (a deletion forgets its path); `commitOf` is the commit each was seen in. */
  private async read(changes: ChangedFile[], commitOf: (change: ChangedFile) => string): Promise<number> {
    const wanted = changes.filter(
      (c) => c.oid !== null && isRegularFileMode(c.mode) && !this.parsedByBlob.has(parseKey(c.oid, c.path)),
    );
    const blobs = await this.readBlobs(wanted);
    for (const change of changes) {
      if (change.status === "deleted" || change.oid === null) {
        this.forget(change.path);
        continue;
      }
      this.remember({ change, bytes: bytesIn(blobs, change), commit: commitOf(change) });
    }
    return wanted.length;
  }

  /**
   * The blobs of `wanted`. A large read (parseMany, manyFrom files or more) goes in parts, each
   * read from git while the one before is parsed on the workers, into the parse cache.
   */
  private async readBlobs(wanted: ChangedFile[]): Promise<Map<string, BlobRead>> {
    const readPart = (part: ChangedFile[]): Promise<Map<string, BlobRead>> =>
      this.options.source.readBlobs(
        part.map((c) => c.oid ?? ""),
        MAX_MANIFEST_BYTES,
      );
    const many = this.options.parseMany && wanted.length >= (this.options.manyFrom ?? 50_000);
    if (!many) return readPart(wanted);
    const blobs = new Map<string, BlobRead>();
    const parts = chunk(wanted, this.options.readPart ?? 4_000);
    let next = parts[0] ? readPart(parts[0]) : null;
    for (let i = 0; next; i += 1) {
      for (const [oid, blob] of await next) blobs.set(oid, blob);
      const part = parts[i + 1];
      next = part ? readPart(part) : null;
      await this.parseAhead(parts[i] ?? [], (change) => bytesIn(blobs, change));
    }
    return blobs;
  }

  /** Parses the manifests of `wanted` together with parseMany, into the parse cache (remember finds them there). */
  private async parseAhead(
    wanted: ChangedFile[],
    bytesOf: (change: ChangedFile) => Uint8Array,
  ): Promise<void> {
    const parseMany = this.options.parseMany;
    const manifests = wanted.filter((change) => ansibleConfigNameOfPath(change.path) === null);
    if (!parseMany || manifests.length === 0) return;
    const inputs = manifests.map((change) => ({
      path: change.path,
      bytes: bytesOf(change),
      mode: change.mode,
    }));
    const results = await parseMany(inputs);
    manifests.forEach((change, i) => {
      const parsed = results[i];
      if (parsed) this.parsedByBlob.set(parseKey(change.oid ?? "", change.path), parsed);
    });
  }

  private remember(input: { change: ChangedFile; bytes: Uint8Array; commit: string }): void {
    const { change, bytes, commit } = input;
    const oid = change.oid ?? "";
    const config = ansibleConfigNameOfPath(change.path);
    if (config) {
      if (bytes.length <= MAX_ANSIBLE_CONFIG_BYTES)
        this.ansibleConfigs.set(config, Buffer.from(bytes).toString("utf8"));
      return;
    }
    const key = parseKey(oid, change.path);
    let parsed = this.parsedByBlob.get(key);
    if (!parsed || !isRegularFileMode(change.mode)) {
      parsed = this.options.parse({ path: change.path, bytes, mode: change.mode });
      if (isRegularFileMode(change.mode)) this.parsedByBlob.set(key, parsed);
    }
    const previous = this.files.get(change.path);
    const firstSeen = previous?.blob === oid ? previous.commit : commit;
    this.files.set(change.path, {
      path: change.path,
      blob: oid,
      commit: firstSeen,
      parsed,
      bytes,
      mode: change.mode,
    });
    if (!parsed.ok) {
      this.options.log.warn({ path: change.path, errors: parsed.errors.length }, "manifest cannot be used");
    }
  }

  private forget(path: string): void {
    const config = ansibleConfigNameOfPath(path);
    if (config) this.ansibleConfigs.delete(config);
    this.files.delete(path);
  }
}

/** Manifests, ansible configs, and anything odd under sessions/ (nested YAML, symlinks, submodules). */
function isInteresting(change: ChangedFile): boolean {
  if (kindOfPath(change.path) !== null || ansibleConfigNameOfPath(change.path) !== null) return true;
  if (!change.path.startsWith("sessions/")) return false;
  return !isRegularFileMode(change.mode) || /\.ya?ml$/.test(change.path);
}

/**
 * True when the file `change` adds or keeps need not be read: a Session manifest (a regular file)
 * whose session is settled at exactly this blob. The CLI's reads leave the same files unread.
 */
export function mayStayUnread(change: ChangedFile, settled: SettledFn | undefined): boolean {
  return change.oid !== null && isSessionFile(change) && settled?.(change.path, change.oid) === true;
}

/** An unread file as the change that reads it. */
function unreadChange(path: string, file: UnreadFile): ChangedFile {
  return { path, status: "added", oid: file.oid, oldOid: null, mode: file.mode };
}

/** The paths a session's file may have (`sessions/<name>.yaml` or `.yml`). */
function sessionPathsOf(names: Iterable<string>): string[] {
  return [...names].flatMap((name) => {
    const path = manifestPath("Session", name);
    return [path, path.replace(/\.yaml$/, ".yml")];
  });
}

/** A regular file that holds a Session manifest (the only kind that may be left unread). */
function isSessionFile(change: Pick<ChangedFile, "path" | "mode">): boolean {
  return isRegularFileMode(change.mode) && kindOfPath(change.path) === "Session";
}

/** The bytes of a changed file as read (see tooLargeMarker). */
function bytesIn(blobs: ReadonlyMap<string, BlobRead>, change: ChangedFile): Uint8Array {
  const blob = blobs.get(change.oid ?? "");
  return blob?.data ?? tooLargeMarker(blob?.size);
}

/** A blob over the size limit is handed to the parser as a stand-in of its size, so it reports `too-large`. */
function tooLargeMarker(size: number | undefined): Uint8Array {
  return new Uint8Array(Math.min(size ?? 0, MAX_MANIFEST_BYTES) + (size === undefined ? 0 : 1));
}

/** The parse cache's key: the same content at another path parses differently (kind, name). */
function parseKey(oid: string, path: string): string {
  return `${oid}\0${path}`;
}
