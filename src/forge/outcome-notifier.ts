/**
 * Tells the forge what each commit's sessions came to: called after every status commit with the
 * session records it changed, it queues the `cfs-gitops/sessions` status of each commit concerned
 * (pending, then success or failure), skipping a status identical to the last one queued.
 */
import { sessionNameOfRecordPath, type KeptSession } from "../api/index.js";
import type { Forge } from "./forge.js";
import type { ForgeQueue } from "./forge-queue.js";
import { SESSIONS_CONTEXT, commitOutcome, commitsOf } from "./session-outcomes.js";

/** What a status commit changed, as the notifier needs it. */
export interface StatusCommitEvent {
  /** Paths of the status files the commit changed. */
  paths: readonly string[];
  /** Every session record after the commit. */
  sessions: ReadonlyMap<string, KeptSession>;
}

/** Most commits whose last status is remembered (for deduplication). */
const REMEMBERED = 1000;

/** The notifier (see the module comment). */
export class OutcomeNotifier {
  private readonly last = new Map<string, string>();

  constructor(private readonly options: { forge: Forge; queue: ForgeQueue }) {}

  /** Queues the statuses of the commits whose sessions `event` changed. Never throws. */
  onStatusCommit(event: StatusCommitEvent): void {
    const names = event.paths.flatMap((path) => {
      const name = sessionNameOfRecordPath(path);
      return name === null ? [] : [name];
    });
    for (const sha of commitsOf(names, event.sessions)) {
      const outcome = commitOutcome(sha, event.sessions.values());
      if (outcome === null) continue;
      const seen = `${outcome.state}\0${outcome.description}`;
      if (this.last.get(sha) === seen) continue;
      this.remember(sha, seen);
      const { forge, queue } = this.options;
      queue.enqueue({
        key: `status ${sha} ${SESSIONS_CONTEXT}`,
        what: `${SESSIONS_CONTEXT} ${outcome.state} on ${sha.slice(0, 12)}`,
        run: () => forge.setCommitStatus({ ...outcome, context: SESSIONS_CONTEXT }),
      });
    }
  }

  private remember(sha: string, seen: string): void {
    this.last.delete(sha);
    this.last.set(sha, seen);
    if (this.last.size > REMEMBERED) {
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
  }
}
