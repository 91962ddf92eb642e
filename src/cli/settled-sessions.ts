/**
 * Which session files are settled, as the controller decides it: the status branch holds the
 * session complete (or expired) from exactly that file and blob. A settled session has run; its
 * record keeps what it ran, so it holds no configuration back (only unfinished sessions do).
 */
import type { ExpiredRecord, SessionRecord } from "../api/index.js";
import { StatusReader } from "./status-reader.js";
import type { StatusStore } from "../git/types.js";

/** True when the session file `path` at `blob` has finished (see the module comment). */
export type SettledFn = (path: string, blob: string) => boolean;

/** The predicate of a status branch's records. Pure. */
export function settledSessions(input: {
  records: Iterable<{
    status: { source: Pick<SessionRecord["status"]["source"], "path" | "blob">; session: { status: string } };
  }>;
  expired: Iterable<ExpiredRecord>;
}): SettledFn {
  const settled = new Set<string>();
  for (const record of input.records) {
    const { source, session } = record.status;
    if (session.status === "complete") settled.add(`${source.path}\0${source.blob}`);
  }
  for (const expired of input.expired) settled.add(`${expired.path}\0${expired.blob}`);
  return (path, blob) => settled.has(`${path}\0${blob}`);
}

/** The predicate of what a status reader loaded. */
export async function settledOf(reader: StatusReader): Promise<SettledFn> {
  return settledSessions({ records: await reader.sessions(), expired: (await reader.expired()).values() });
}

/** Loads the status branch and returns its predicate. */
export async function readSettled(status: StatusStore): Promise<SettledFn> {
  return settledOf(await StatusReader.open(status));
}
