/**
 * A session summary as one flat JSON array in the list cache (session-list-cache.ts): the keys of
 * 10,000 summaries are most of the cache's bytes, and of the time and garbage of parsing it. Only a
 * summary whose every field has its usual type is written so (it reads back equal, key order
 * included); any other value stays as it is. Pure.
 */
import type { SessionSummary } from "./session-summary.js";

/** [name, tags, configuration name, target definition, session status, source path, source blob, layers]. */
export type SummaryRow = [
  string,
  SessionSummary["tags"],
  string,
  string,
  SessionSummary["status"]["session"],
  string,
  string | null,
  Array<[string, string]>,
];

const ROW_LENGTH = 8;

/**
 * The row of a summary with the usual fields and types, which reads back exactly (summarizeSession
 * makes every summary with the same keys in the same order); null for any other value (kept as it
 * is).
 */
export function summaryRow(value: unknown): SummaryRow | null {
  const summary = value as SessionSummary;
  if (!hasUsualTypes(summary)) return null;
  const { status } = summary;
  const row: SummaryRow = [
    summary.name,
    summary.tags,
    summary.configuration.name,
    summary.target.definition,
    status.session,
    status.source.path,
    status.source.blob,
    status.layers.map((layer) => [layer.name, layer.status]),
  ];
  return row;
}

/** The summary a row written by summaryRow stands for; null when `row` is not such a row. */
export function summaryOfRow(row: unknown): SessionSummary | null {
  if (!Array.isArray(row) || row.length !== ROW_LENGTH) return null;
  const [name, tags, configuration, definition, session, path, blob, layers] = row as SummaryRow;
  const summary = {
    name,
    tags,
    configuration: { name: configuration },
    target: { definition },
    status: {
      session,
      source: { path, blob },
      layers: Array.isArray(layers)
        ? layers.map(
            (layer) => ({ name: layer[0], status: layer[1] }) as SessionSummary["status"]["layers"][number],
          )
        : layers,
    },
  } as SessionSummary;
  return hasUsualTypes(summary) ? summary : null;
}

function hasUsualTypes(summary: SessionSummary): boolean {
  const s = summary as Partial<SessionSummary> | null;
  return (
    hasKeys(s, 5) &&
    typeof s.name === "string" &&
    isPlain(s.tags) &&
    hasKeys(s.configuration, 1) &&
    typeof s.configuration.name === "string" &&
    hasKeys(s.target, 1) &&
    typeof s.target.definition === "string" &&
    hasUsualStatus(s.status)
  );
}

function hasUsualStatus(status: Partial<SessionSummary["status"]> | undefined): boolean {
  return (
    hasKeys(status, 3) &&
    isPlain(status.session) &&
    hasKeys(status.source, 2) &&
    typeof status.source.path === "string" &&
    (typeof status.source.blob === "string" || status.source.blob === null) &&
    Array.isArray(status.layers) &&
    status.layers.every((layer: unknown) => {
      const l = layer as { name?: unknown; status?: unknown } | null;
      return hasKeys(l, 2) && typeof l.name === "string" && typeof l.status === "string";
    })
  );
}

/** A plain object with `count` own keys (the summary's objects have exactly theirs). */
function hasKeys(value: unknown, count: number): value is object {
  return isPlain(value) && Object.keys(value).length === count;
}

function isPlain(value: unknown): value is object {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
