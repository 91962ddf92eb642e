/**
 * The status branch's session records as the REST API reads them, parsed once per blob: a new
 * status commit costs the records it changed, not all 10,000 again. Holds only the blobs of the
 * last snapshot read.
 */
import { sessionNameOfRecordPath, type SessionRecord } from "../../api/index.js";
import type { StatusSnapshot, StatusStore } from "../../git/types.js";

/** Session records by blob id. */
export class SessionRecordCache {
  private byBlob = new Map<string, SessionRecord>();

  /** Every session record of `snapshot` (damaged ones left out), in path order of the snapshot. */
  async read(snapshot: StatusSnapshot, store: Pick<StatusStore, "readBlobs">): Promise<SessionRecord[]> {
    const oids: string[] = [];
    for (const [path, oid] of snapshot.files) if (sessionNameOfRecordPath(path) !== null) oids.push(oid);
    const next = new Map<string, SessionRecord>();
    const missing: string[] = [];
    for (const oid of oids) {
      const record = this.byBlob.get(oid);
      if (record) next.set(oid, record);
      else missing.push(oid);
    }
    for (const [oid, data] of await store.readBlobs(missing)) {
      const record = parseRecord(data);
      if (record) next.set(oid, record);
    }
    this.byBlob = next;
    return oids.flatMap((oid) => {
      const record = next.get(oid);
      return record ? [record] : [];
    });
  }
}

function parseRecord(data: Buffer): SessionRecord | null {
  try {
    return JSON.parse(data.toString("utf8")) as SessionRecord;
  } catch {
    return null;
  }
}
