/** Reads session records and logs from the status branch for the read commands. */
import {
  expiredPath,
  problemPath,
  sessionLogDir,
  sessionLogPath,
  sessionNameOfRecordPath,
  sessionRecordPath,
  type ExpiredRecord,
  type ProblemRecord,
  type SessionRecord,
} from "../api/index.js";
import type { StatusSnapshot, StatusStore } from "../git/types.js";

/** The status branch, loaded once for one command. */
export class StatusReader {
  private constructor(
    private readonly store: StatusStore,
    readonly snapshot: StatusSnapshot,
  ) {}

  /** Loads the status branch (fetching it first when the repository is remote). */
  static async open(store: StatusStore): Promise<StatusReader> {
    return new StatusReader(store, await store.load());
  }

  /** Every session record, sorted by name. */
  async sessions(): Promise<SessionRecord[]> {
    const paths = [...this.snapshot.files.keys()].filter((p) => sessionNameOfRecordPath(p) !== null);
    const records = await this.readJson<SessionRecord>(paths);
    return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One session record, or null. */
  async session(name: string): Promise<SessionRecord | null> {
    const [record] = await this.readJson<SessionRecord>([sessionRecordPath(name)]);
    return record ?? null;
  }

  /** The problem recorded for one manifest path, or null. */
  async problem(manifestPath: string): Promise<ProblemRecord | null> {
    const [record] = await this.readJson<ProblemRecord>([problemPath(manifestPath)]);
    return record ?? null;
  }

  /** Sessions deleted by session_ttl whose manifests stay in the repository, by name. */
  async expired(): Promise<Map<string, ExpiredRecord>> {
    const paths = [...this.snapshot.files.keys()].filter((p) => p.startsWith("expired/"));
    const records = await this.readJson<ExpiredRecord>(paths);
    return new Map(records.map((record) => [record.name, record]));
  }

  /** True when the status branch holds a record (or an expiry note) for this session name. */
  hasSession(name: string): boolean {
    return this.snapshot.files.has(sessionRecordPath(name)) || this.snapshot.files.has(expiredPath(name));
  }

  /** Step names with a committed log for a session. */
  logSteps(name: string): string[] {
    const prefix = `${sessionLogDir(name)}/`;
    return [...this.snapshot.files.keys()]
      .filter((p) => p.startsWith(prefix) && p.endsWith(".log"))
      .map((p) => p.slice(prefix.length, -".log".length));
  }

  /** The committed log of one step, or null. */
  async log(name: string, step: string): Promise<string | null> {
    const oid = this.snapshot.files.get(sessionLogPath(name, step));
    if (!oid) return null;
    const blobs = await this.store.readBlobs([oid]);
    return blobs.get(oid)?.toString("utf8") ?? null;
  }

  /** The records at these paths (missing and damaged ones left out). */
  readRecords<T>(paths: string[]): Promise<T[]> {
    return this.readJson<T>(paths);
  }

  private async readJson<T>(paths: string[]): Promise<T[]> {
    const oids = paths
      .map((p) => this.snapshot.files.get(p))
      .filter((oid): oid is string => oid !== undefined);
    const blobs = await this.store.readBlobs(oids);
    const out: T[] = [];
    for (const oid of oids) {
      const data = blobs.get(oid);
      if (!data) continue;
      try {
        out.push(JSON.parse(data.toString("utf8")) as T);
      } catch {
        // A damaged status file is skipped; the controller rewrites it on its next change.
      }
    }
    return out;
  }
}
