/**
 * What the controller knows of the watched branch: every manifest file at the last processed commit,
 * kept up to date by diffs so each pass reads only what changed. Parsed manifests are cached by blob id.
 */
import type { Logger } from "pino";
import { MAX_MANIFEST_BYTES, kindOfPath } from "../api/index.js";
import type { ConfigSource, ChangedFile } from "../git/types.js";
import type { ParsedFile, RepoFile } from "../plan/index.js";

const ANSIBLE_CONFIG_FILE = /^ansible-configs\/([^/]+)\.cfg$/;
const MAX_ANSIBLE_CONFIG_BYTES = 256 * 1024;

/** Parses one manifest file (the manifest room's parseManifest). */
export type ParseFn = (input: { path: string; bytes: Uint8Array; mode?: string }) => ParsedFile;

/** A manifest file with its bytes, kept for error positions across files. */
export interface KnownFile extends RepoFile {
  bytes: Uint8Array;
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
  log: Logger;
}

/** The manifests at the last processed commit, updated incrementally. */
export class SourceState {
  commit: string | null = null;
  readonly files = new Map<string, KnownFile>();
  readonly ansibleConfigs = new Map<string, string>();
  private readonly parsedByBlob = new Map<string, ParsedFile>();

  constructor(private readonly options: SourceStateOptions) {}

  /** Brings the state to the branch tip; null when the branch does not exist (nothing is changed then). */
  async sync(): Promise<SyncResult | null> {
    const tip = await this.options.source.fetchTip();
    if (tip === null) return null;
    if (tip === this.commit) return { commit: tip, moved: false, changed: 0, read: 0 };
    const changes = (await this.options.source.diff(this.commit, tip)).filter(isInteresting);
    const read = await this.apply(changes, tip);
    this.commit = tip;
    return { commit: tip, moved: true, changed: changes.length, read };
  }

  private async apply(changes: ChangedFile[], commit: string): Promise<number> {
    const wanted = changes.filter(
      (c) => c.oid !== null && isRegular(c.mode) && !this.parsedByBlob.has(c.oid),
    );
    const blobs = await this.options.source.readBlobs(
      wanted.map((c) => c.oid ?? ""),
      MAX_MANIFEST_BYTES,
    );
    for (const change of changes) {
      if (change.status === "deleted" || change.oid === null) {
        this.forget(change.path);
        continue;
      }
      const blob = blobs.get(change.oid);
      const bytes = blob?.data ?? tooLargeMarker(blob?.size);
      this.remember({ change, bytes, commit });
    }
    return wanted.length;
  }

  private remember(input: { change: ChangedFile; bytes: Uint8Array; commit: string }): void {
    const { change, bytes, commit } = input;
    const oid = change.oid ?? "";
    const config = ANSIBLE_CONFIG_FILE.exec(change.path);
    if (config?.[1]) {
      if (bytes.length <= MAX_ANSIBLE_CONFIG_BYTES)
        this.ansibleConfigs.set(config[1], Buffer.from(bytes).toString("utf8"));
      return;
    }
    let parsed = this.parsedByBlob.get(oid);
    if (!parsed || !isRegular(change.mode)) {
      parsed = this.options.parse({ path: change.path, bytes, mode: change.mode });
      if (isRegular(change.mode)) this.parsedByBlob.set(oid, parsed);
    }
    const previous = this.files.get(change.path);
    const firstSeen = previous?.blob === oid ? previous.commit : commit;
    this.files.set(change.path, { path: change.path, blob: oid, commit: firstSeen, parsed, bytes });
    if (!parsed.ok) {
      this.options.log.warn({ path: change.path, errors: parsed.errors.length }, "manifest cannot be used");
    }
  }

  private forget(path: string): void {
    const config = ANSIBLE_CONFIG_FILE.exec(path);
    if (config?.[1]) this.ansibleConfigs.delete(config[1]);
    this.files.delete(path);
  }
}

/** Manifests, ansible configs, and anything odd under sessions/ (nested YAML, symlinks, submodules). */
function isInteresting(change: ChangedFile): boolean {
  if (kindOfPath(change.path) !== null || ANSIBLE_CONFIG_FILE.test(change.path)) return true;
  if (!change.path.startsWith("sessions/")) return false;
  return !isRegular(change.mode) || /\.ya?ml$/.test(change.path);
}

function isRegular(mode: string): boolean {
  return mode === "100644" || mode === "100755";
}

/** A blob over the size limit is handed to the parser as a stand-in of its size, so it reports `too-large`. */
function tooLargeMarker(size: number | undefined): Uint8Array {
  return new Uint8Array(Math.min(size ?? 0, MAX_MANIFEST_BYTES) + (size === undefined ? 0 : 1));
}
