/**
 * The `sources/<name>.json` records of the status branch (what `cray cfs v3 sources describe`
 * prints): one per source manifest, written when the manifest's fields change, removed with it.
 */
import type { SourceManifest, SourceRecord } from "../api/index.js";
import { sameJson } from "./serialize.js";

/** Inputs of planSourceRecords. */
export interface SourceRecordsInput {
  sources: ReadonlyMap<string, SourceManifest>;
  /** The records on the status branch, by name. */
  records: ReadonlyMap<string, SourceRecord>;
  /** The time a new or changed record is stamped with (`last_updated`). */
  now: string;
}

/** The records to write (null: remove) so the status branch describes exactly the sources. */
export function planSourceRecords(input: SourceRecordsInput): Map<string, SourceRecord | null> {
  const changes = new Map<string, SourceRecord | null>();
  for (const [name, source] of input.sources) {
    const record = sourceRecord(source, input.now);
    const existing = input.records.get(name);
    if (existing === undefined || !sameJson(withoutTime(existing), withoutTime(record)))
      changes.set(name, record);
  }
  for (const name of input.records.keys()) if (!input.sources.has(name)) changes.set(name, null);
  return changes;
}

/** The describe record of a source: its fields, the credentials by name only. */
export function sourceRecord(source: SourceManifest, now: string): SourceRecord {
  const record: SourceRecord = { name: source.name, last_updated: now, clone_url: source.clone_url };
  if (source.description !== undefined) record.description = source.description;
  if (source.credentials !== undefined)
    record.credentials = { authentication_method: "password", secret_name: source.credentials.secret_name };
  if (source.ca_cert !== undefined) record.ca_cert = { ...source.ca_cert };
  return record;
}

function withoutTime(record: SourceRecord): Omit<SourceRecord, "last_updated"> {
  const { last_updated: _time, ...rest } = record;
  return rest;
}
