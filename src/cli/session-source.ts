/** Loads what the session commands show: the status branch's records and the watched branch's manifests. */
import type { SessionRecord } from "../api/index.js";
import type { DesiredState } from "../plan/index.js";
import { CliError } from "./errors.js";
import { readManifestTree, type ManifestTree } from "./repo-tree.js";
import type { RepoContext } from "./repo-options.js";
import { sessionViews } from "./session-view.js";
import { settledSessions } from "./settled-sessions.js";
import { StatusReader } from "./status-reader.js";

/** The sessions as a user sees them, and what they were read from. */
export interface LoadedSessions {
  sessions: SessionRecord[];
  reader: StatusReader;
  /** The watched branch's manifests, or null when the branch does not exist. */
  tree: ManifestTree | null;
}

/**
 * Reads the status branch and the watched branch's tip (fetching both when remote). Sessions that
 * finished are not checked against their configuration again, as the controller does.
 */
export async function loadSessions(context: Pick<RepoContext, "source" | "status">): Promise<LoadedSessions> {
  const reader = await StatusReader.open(context.status);
  const records = await reader.sessions();
  const expired = await reader.expired();
  const settled = settledSessions({ records, expired: expired.values() });
  const tip = await context.source.fetchTip();
  const tree =
    tip === null
      ? null
      : await readManifestTree({ source: context.source, commit: tip, settled, leaveSettledUnread: true });
  const sessions = sessionViews({ records, desired: tree?.desired ?? null, expired });
  return { sessions, reader, tree };
}

/** The status branch's records plus the pending ones of `desired` (expired sessions stay out). */
export async function sessionsOf(
  reader: StatusReader,
  desired: DesiredState | null,
): Promise<SessionRecord[]> {
  return sessionViews({ records: await reader.sessions(), desired, expired: await reader.expired() });
}

/** The session named `name`, or CFS's "could not be found". */
export function findSession(sessions: readonly SessionRecord[], name: string): SessionRecord {
  const record = sessions.find((session) => session.name === name);
  if (!record) throw new CliError(`Session ${name} could not be found`);
  return record;
}
