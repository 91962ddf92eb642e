/**
 * Records the commits that hold the watched branch back on the status branch: one
 * `unverified/<sha>.json` per commit that is neither verified nor approved (which commit, who
 * authored it, why), removed again once the branch is taken in past it (approved, or gone after a
 * force-push). Written only when that set changes; the status store drops unchanged files.
 */
import type { Logger } from "pino";
import type { StatusStore } from "../git/types.js";
import type { VerificationState } from "../git/verifying-source.js";
import type { CommitVerdict } from "../git/verify-commits.js";
import { stableJson } from "../plan/index.js";

/** The status branch folder of unverified-commit records. */
export const UNVERIFIED_DIR = "unverified";

/** The trailer naming each unverified commit in a verification status commit. */
export const TRAILER_UNVERIFIED = "Cfs-Unverified";

/** `unverified/<sha>.json`: a commit of the watched branch that holds the rest back. */
export interface UnverifiedRecord {
  commit: string;
  author: string;
  /** `unsigned`, `unknown-key`, `bad-signature`, `expired-key` or `revoked-key`. */
  reason: string;
  /** git's words about the signature (empty when unsigned). */
  detail: string;
  /** The signing key's fingerprint or id, when signed. */
  key: string | null;
  subject: string;
  /** Committer time of the commit. */
  time: string;
  /** The branch tip when it was found, and the newest commit taken in. */
  tip: string;
  verified: string | null;
}

/** Status branch path of an unverified commit's record. */
export function unverifiedRecordPath(commit: string): string {
  return `${UNVERIFIED_DIR}/${commit}.json`;
}

/** Options of VerificationStatus. */
export interface VerificationStatusOptions {
  status: StatusStore;
  log: Logger;
  now?: () => Date;
}

/** Keeps `unverified/` on the status branch equal to the commits that block (a `VerifyingSource` `onState`). */
export class VerificationStatus {
  /** The record paths on the branch (null: not read yet). */
  private written: Set<string> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: VerificationStatusOptions) {
    this.log = options.log.child({ component: "verify" });
  }

  /** Commits the records of `state.blocking` and removes the others; nothing when they are as wanted. */
  async record(state: VerificationState): Promise<void> {
    const written = await this.current();
    const changes = new Map<string, Buffer | null>();
    for (const verdict of state.blocking) {
      changes.set(unverifiedRecordPath(verdict.commit), Buffer.from(stableJson(recordOf(verdict, state))));
    }
    for (const path of written) if (!changes.has(path)) changes.set(path, null);
    if (changes.size === 0) return;
    const result = await this.options.status.commit({
      changes,
      now: (this.options.now ?? (() => new Date()))(),
      message: (final) => verificationCommitMessage({ changes: final, state }),
    });
    if (result)
      this.log.info({ commit: result.commit, unverified: state.blocking.length }, "verification recorded");
    this.written = new Set(state.blocking.map((v) => unverifiedRecordPath(v.commit)));
  }

  private async current(): Promise<Set<string>> {
    if (this.written === null) {
      const snapshot = await this.options.status.load();
      this.written = new Set([...snapshot.files.keys()].filter((p) => p.startsWith(`${UNVERIFIED_DIR}/`)));
    }
    return this.written;
  }
}

/** `verify: 2 commits not verified` (or `verify: unverified commits cleared`) and one trailer per commit. */
export function verificationCommitMessage(input: {
  changes: ReadonlyMap<string, Buffer | null>;
  state: VerificationState;
}): string {
  const { state } = input;
  const count = state.blocking.length;
  const subject =
    count === 0
      ? `verify: unverified commits cleared, ${shortId(state.verified)} taken in`
      : `verify: ${count} commit${count === 1 ? "" : "s"} not verified, held at ${shortId(state.verified)}`;
  const trailers = state.blocking.map((v) => `${TRAILER_UNVERIFIED}: ${v.commit} ${v.reason}`);
  return `${subject}\n\n${trailers.length > 0 ? `${trailers.join("\n")}\n` : ""}`;
}

function recordOf(verdict: CommitVerdict, state: VerificationState): UnverifiedRecord {
  return {
    commit: verdict.commit,
    author: verdict.author,
    reason: verdict.reason,
    detail: verdict.detail,
    key: verdict.key,
    subject: verdict.subject,
    time: verdict.time,
    tip: state.tip,
    verified: state.verified,
  };
}

function shortId(commit: string | null): string {
  return commit === null ? "nothing" : commit.slice(0, 12);
}
