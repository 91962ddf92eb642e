/**
 * The completed sessions a pass can leave alone: their session file is still there (unread, or
 * read and not edited) and they are not due to expire, so planSession would change nothing. On a
 * large site that is nearly every record (100,000), and finding them is a walk that looks up every
 * record's path (~30 to 50 ms here: each lookup in a big table is a cache miss or two). The walk's
 * answer is kept and handed to the next pass, which looks again only at the records that changed
 * since, unless a path left the branch, the desired state's base changed (the TTL, the
 * configurations batcher sessions keep their paths with), or a kept session fell due.
 */
import type { KeptSession } from "../api/index.js";
import { isSettledSession } from "../api/index.js";
import type { DesiredBase, PathSet } from "./desired.js";

/** What a walk found: see the module comment. Never changed once made. */
export interface QuietSessions {
  /** The desired state's base it was found under. */
  base: DesiredBase;
  /** The presence version of the paths it was checked against (see QuietHint). */
  presenceVersion: number;
  /** Recorded names that are not quiet (still going, file gone, due). */
  active: ReadonlySet<string>;
  /** The earliest time (ms since the epoch) a quiet one falls due; a pass at or after it walks again. */
  dueAt: number;
}

/** What the caller knows since the pass that made `previous`. */
export interface QuietHint {
  previous: QuietSessions | null;
  /** Session names whose record changed since ("all": any may have). */
  changed: ReadonlySet<string> | "all";
  /** Goes up whenever a path leaves the present paths (adding paths moves nothing quiet). */
  presenceVersion: number;
}

/** Inputs of quietSessions. */
export interface QuietInput {
  recorded: ReadonlyMap<string, KeptSession>;
  present: PathSet;
  base: DesiredBase;
  now: number;
  ttlMs: number | null;
  hint?: QuietHint;
}

/** The quiet sessions of this pass: the previous answer with the changed records looked at again, or a new walk. */
export function quietSessions(input: QuietInput): QuietSessions {
  const { hint } = input;
  const previous = hint?.previous ?? null;
  if (
    hint === undefined ||
    previous === null ||
    hint.changed === "all" ||
    previous.base !== input.base ||
    previous.presenceVersion !== hint.presenceVersion ||
    input.now >= previous.dueAt
  )
    return walk(input, input.recorded.keys());
  const again = walk(input, [...previous.active, ...hint.changed]);
  return { ...again, dueAt: Math.min(again.dueAt, previous.dueAt) };
}

/** Looks at the records of `names` (those not recorded are left out). */
function walk(input: QuietInput, names: Iterable<string>): QuietSessions {
  const active = new Set<string>();
  let dueAt = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const record = input.recorded.get(name);
    if (!record) continue;
    const due = dueTime(record, input.ttlMs);
    const quiet =
      record.status.session.status === "complete" &&
      input.now < due &&
      input.present.has(record.status.source.path);
    if (!quiet) active.add(name);
    else if (due < dueAt) dueAt = due;
  }
  return { base: input.base, presenceVersion: input.hint?.presenceVersion ?? 0, active, dueAt };
}

/**
 * When a completed session falls due to expire (ms since the epoch): never without a TTL or a
 * completion time. For a record not complete the answer means nothing.
 */
export function dueTime(record: KeptSession, ttlMs: number | null): number {
  if (ttlMs === null) return Number.POSITIVE_INFINITY;
  const completed = isSettledSession(record)
    ? record.completedMs
    : Date.parse(record.status.session.completion_time ?? "");
  return Number.isNaN(completed) ? Number.POSITIVE_INFINITY : completed + ttlMs;
}
