/**
 * What `sessions list` filters and prints of a session record (a table row, not the record):
 * small enough that 10,000 of them load from a cache file in a few milliseconds. A whole
 * SessionRecord is one too. Pure.
 */
import type { SessionRecord } from "../api/index.js";

/** The fields of a session record that the list's filters, table and settled check use. */
export interface SessionSummary {
  name: string;
  tags: SessionRecord["tags"];
  configuration: Pick<SessionRecord["configuration"], "name">;
  target: Pick<SessionRecord["target"], "definition">;
  status: {
    session: SessionRecord["status"]["session"];
    source: Pick<SessionRecord["status"]["source"], "path" | "blob">;
    layers: ReadonlyArray<Pick<SessionRecord["status"]["layers"][number], "name" | "status">>;
  };
}

/**
 * The summary of a record as read from the status branch. A record without the usual shape (hand
 * edited, damaged) is kept whole, so the list treats it exactly as it treats the record.
 */
export function summarizeSession(record: unknown): SessionSummary {
  if (!hasListedShape(record)) return record as SessionSummary;
  const { name, tags, configuration, target, status } = record;
  return {
    name,
    tags,
    configuration: { name: configuration.name },
    target: { definition: target.definition },
    status: {
      session: status.session,
      source: { path: status.source.path, blob: status.source.blob },
      layers: status.layers.map((layer) => ({ name: layer.name, status: layer.status })),
    },
  };
}

function hasListedShape(record: unknown): record is SessionRecord {
  const r = record as Partial<SessionRecord> | null;
  return (
    isObject(r) &&
    typeof r.name === "string" &&
    isObject(r.tags) &&
    isObject(r.configuration) &&
    isObject(r.target) &&
    isObject(r.status) &&
    isObject(r.status.session) &&
    isObject(r.status.source) &&
    Array.isArray(r.status.layers) &&
    r.status.layers.every(isObject)
  );
}

function isObject(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
