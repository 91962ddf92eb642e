/**
 * How far the watched branch may be taken in: the newest commit of the branch's first-parent line
 * none of whose new ancestors is unverified. Pure: verdicts in, decision out.
 *
 * A commit is acceptable when its signature is good, or when a verified commit of the range approves
 * it (`Cfs-Approve: <sha>`). A commit is tainted when it is not acceptable or any parent is tainted,
 * so a signed commit on top never launders an unsigned one below it.
 */
import type { CommitVerdict } from "./verify-commits.js";

/** Inputs of verifiedFrontier. */
export interface FrontierInput {
  /** The last verified commit (null: none yet, every commit reachable from `tip` is in the range). */
  from: string | null;
  tip: string;
  /** Every commit of `from..tip`, parents before children. */
  verdicts: readonly CommitVerdict[];
}

/** What may be taken in, and what holds the rest back. */
export interface FrontierResult {
  /** The newest commit that may be taken in; `from` when nothing new may (null: nothing at all). */
  frontier: string | null;
  /** The commits of the range that are neither verified nor approved, oldest first. */
  blocking: CommitVerdict[];
  /** Unverified commits that a verified commit approves: commit -> the approving commit. */
  approved: Map<string, string>;
}

/** See the module comment. */
export function verifiedFrontier(input: FrontierInput): FrontierResult {
  const byId = new Map(input.verdicts.map((v) => [v.commit, v]));
  if (!byId.has(input.tip)) {
    // The tip is no new commit: it was reachable from the last verified one (a reset backwards).
    return { frontier: input.tip, blocking: [], approved: new Map() };
  }
  const approved = approvals(input.verdicts);
  const blocking = input.verdicts.filter((v) => !v.verified && !approved.has(v.commit));
  const tainted = taintedCommits(input.verdicts, new Set(blocking.map((v) => v.commit)));
  return { frontier: firstUntainted({ ...input, byId, tainted }), blocking, approved };
}

/** Unverified commits approved by a verified commit of the range (approvals by prefix of 7+ hex). */
function approvals(verdicts: readonly CommitVerdict[]): Map<string, string> {
  const approved = new Map<string, string>();
  const wanted = verdicts.filter((v) => v.verified && v.approves.length > 0);
  if (wanted.length === 0) return approved;
  for (const candidate of verdicts) {
    if (candidate.verified) continue;
    const approver = wanted.find((v) => v.approves.some((prefix) => candidate.commit.startsWith(prefix)));
    if (approver) approved.set(candidate.commit, approver.commit);
  }
  return approved;
}

/** Blocking commits and every commit of the range that descends from one. */
function taintedCommits(verdicts: readonly CommitVerdict[], blocking: ReadonlySet<string>): Set<string> {
  const tainted = new Set<string>();
  for (const verdict of verdicts) {
    if (blocking.has(verdict.commit) || verdict.parents.some((p) => tainted.has(p)))
      tainted.add(verdict.commit);
  }
  return tainted;
}

/** Walks the first-parent line down from the tip to the first commit that is not tainted. */
function firstUntainted(input: {
  from: string | null;
  tip: string;
  byId: ReadonlyMap<string, CommitVerdict>;
  tainted: ReadonlySet<string>;
}): string | null {
  let at: string | undefined = input.tip;
  while (at !== undefined) {
    const verdict = input.byId.get(at);
    if (!verdict) return input.from;
    if (!input.tainted.has(at)) return at;
    at = verdict.parents[0];
  }
  return input.from;
}
