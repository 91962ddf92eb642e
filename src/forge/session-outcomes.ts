/**
 * What the sessions a commit started came to, as one commit status (`cfs-gitops/sessions`):
 * pending while any runs, then success, or failure naming each failed session and its reason.
 * Pure: records in, statuses out.
 */
import type { KeptSession } from "../api/index.js";
import { statusDescription, type CommitState } from "./forge.js";

/** The context of the outcome status. */
export const SESSIONS_CONTEXT = "cfs-gitops/sessions";

/** The status of one commit. */
export interface CommitOutcome {
  sha: string;
  state: CommitState;
  description: string;
}

/** The outcome of the sessions started by `sha` (records whose source commit it is), or null when none. */
export function commitOutcome(sha: string, records: Iterable<KeptSession>): CommitOutcome | null {
  const mine = [...records].filter((record) => record.status.source.commit === sha);
  if (mine.length === 0) return null;
  const total = mine.length;
  const unfinished = mine.filter((record) => record.status.session.status !== "complete");
  if (unfinished.length > 0) {
    const running = unfinished.filter((record) => record.status.session.status === "running").length;
    const text = `${total} session${plural(total)}: ${running} running, ${unfinished.length - running} pending, ${total - unfinished.length} done`;
    return { sha, state: "pending", description: statusDescription(text) };
  }
  const failed = mine
    .filter((record) => record.status.session.succeeded !== "true")
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  if (failed.length === 0)
    return {
      sha,
      state: "success",
      description: statusDescription(`${total} session${plural(total)} succeeded`),
    };
  const named = failed.map(
    (record) => `${record.name} (${record.status.reason ?? `succeeded ${record.status.session.succeeded}`})`,
  );
  const text = `${failed.length} of ${total} session${plural(total)} failed: ${named.join("; ")}`;
  return { sha, state: "failure", description: statusDescription(text) };
}

/** The source commits of `names` among `records` (the commits whose outcome a status commit changed). */
export function commitsOf(names: Iterable<string>, records: ReadonlyMap<string, KeptSession>): string[] {
  const commits = new Set<string>();
  for (const name of names) {
    const commit = records.get(name)?.status.source.commit;
    if (commit !== undefined && /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/.test(commit)) commits.add(commit);
  }
  return [...commits].sort();
}

function plural(n: number): string {
  return n === 1 ? "" : "s";
}
