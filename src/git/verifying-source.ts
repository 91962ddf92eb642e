/**
 * A ConfigSource that only ever shows a verified commit: around the real source, `fetchTip()`
 * verifies every commit between the last verified commit and the new tip (one `git log`) and
 * answers the newest commit that may be taken in. When a commit is not verified the controller so
 * stays where it was, and goes on running what it had, without knowing why.
 *
 * The last verified commit is kept in a file (under the data directory), so a restart verifies only
 * what is new; the first start verifies the whole history, or from `trustFrom` (a commit the
 * operator vouches for) when one is given.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import type { Logger } from "pino";
import { serial } from "./repository.js";
import { runGit } from "./run-git.js";
import type { BlobRead, ChangedFile, ConfigSource } from "./types.js";
import { verifiedFrontier } from "./verified-frontier.js";
import { verifyCommits, type CommitTrust, type CommitVerdict } from "./verify-commits.js";

/** What the source knows after checking a tip: what was taken in and what holds the rest back. */
export interface VerificationState {
  /** The tip of the watched branch as fetched. */
  tip: string;
  /** The newest commit taken in (null: none yet). */
  verified: string | null;
  /** The commits neither verified nor approved, oldest first (empty: the tip is taken in). */
  blocking: CommitVerdict[];
  /** How many commits this check verified. */
  checked: number;
}

/** Options of createVerifyingSource. */
export interface VerifyingSourceOptions {
  source: ConfigSource;
  /** The repository the source's commits are in. */
  gitDir: string;
  trust: Pick<CommitTrust, "allowedSigners" | "gnupgHome">;
  log: Logger;
  /** Where the last verified commit is kept across restarts (null: not kept). */
  stateFile: string | null;
  /** First start only (no state kept): commits reachable from this one are trusted unsigned. */
  trustFrom?: string | null;
  /**
   * Changes when the allowed keys may have changed (the allowed-signers file's time and size): while
   * something blocks, the tip is checked again when it does, so adding a key takes effect without a push.
   */
  trustVersion?: () => Promise<string>;
  /** Told the outcome of every check of a new tip, and again at each fetch while something blocks. */
  onState?: (state: VerificationState) => Promise<void> | void;
}

/** Wraps `options.source`; see the module comment. */
export function createVerifyingSource(options: VerifyingSourceOptions): ConfigSource {
  return new VerifyingSource(options);
}

class VerifyingSource implements ConfigSource {
  readonly description: string;
  private readonly log: Logger;
  /** The newest commit taken in (undefined: not read from the state file yet). */
  private verified: string | null | undefined = undefined;
  private last: VerificationState | null = null;
  /** trustVersion() at the last check. */
  private trust = "";
  /** The last check made by `localTip` of a tip the controller has not checked yet. */
  private peeked: { tip: string; trust: string; verified: string | null } | null = null;
  private readonly once = serial();

  constructor(private readonly options: VerifyingSourceOptions) {
    this.description = options.source.description;
    this.log = options.log.child({ component: "verify" });
  }

  fetchTip(): Promise<string | null> {
    // One check at a time: the controller's pass and a reader's first look never verify twice.
    return this.once(() => this.fetchAndVerify());
  }

  /**
   * The newest verified commit as this process knows the branch, without asking a remote: the
   * controller's last check when the local tip is the one it checked; else (a write through this
   * process moved it) that tip checked here, with no record or state written. Never an
   * unverified commit. Before any check, one fetch and check as `fetchTip`.
   */
  async localTip(): Promise<string | null> {
    const last = this.last;
    if (last === null) return this.fetchTip();
    const tip = this.options.source.localTip ? await this.options.source.localTip() : last.tip;
    if (tip === null) return null;
    return tip === last.tip ? last.verified : this.peek(tip);
  }

  /** The newest commit up to `tip` that may be taken in, checked without recording anything. */
  private async peek(tip: string): Promise<string | null> {
    const trust = (await this.options.trustVersion?.()) ?? "";
    if (this.peeked?.tip === tip && this.peeked.trust === trust) return this.peeked.verified;
    const from = await this.start();
    const verdicts = await verifyCommits({
      gitDir: this.options.gitDir,
      range: { from, to: tip },
      trust: this.options.trust,
    });
    const verified = verifiedFrontier({ from, tip, verdicts }).frontier;
    this.peeked = { tip, trust, verified };
    return verified;
  }

  private async fetchAndVerify(): Promise<string | null> {
    const tip = await this.options.source.fetchTip();
    if (tip === null) return null;
    const trust = (await this.options.trustVersion?.()) ?? "";
    if (this.last?.tip === tip && (this.last.blocking.length === 0 || trust === this.trust)) {
      if (this.last.blocking.length > 0) await this.options.onState?.(this.last);
      return this.last.verified;
    }
    this.trust = trust;
    const from = await this.start();
    const verdicts = await verifyCommits({
      gitDir: this.options.gitDir,
      range: { from, to: tip },
      trust: this.options.trust,
    });
    const result = verifiedFrontier({ from, tip, verdicts });
    const state: VerificationState = {
      tip,
      verified: result.frontier,
      blocking: result.blocking,
      checked: verdicts.length,
    };
    this.report(state, result.approved);
    await this.remember(result.frontier);
    this.last = state;
    await this.options.onState?.(state);
    return state.verified;
  }

  isHeldBack(): boolean {
    return this.last !== null && this.last.verified === null && this.last.blocking.length > 0;
  }

  diff(from: string | null, to: string): Promise<ChangedFile[]> {
    return this.options.source.diff(from, to);
  }

  readBlobs(oids: readonly string[], maxBytes: number): Promise<Map<string, BlobRead>> {
    return this.options.source.readBlobs(oids, maxBytes);
  }

  watch(onChange: () => void): () => Promise<void> {
    return this.options.source.watch(onChange);
  }

  close(): Promise<void> {
    return this.options.source.close();
  }

  /** The commit the range starts after: the last verified one, kept or given, if it is still here. */
  private async start(): Promise<string | null> {
    if (this.verified === undefined) {
      const kept = await readState(this.options.stateFile);
      this.verified = await this.existing(kept ?? this.options.trustFrom ?? null);
    }
    return this.verified;
  }

  private async existing(commit: string | null): Promise<string | null> {
    if (commit === null) return null;
    const { exitCode } = await runGit({
      gitDir: this.options.gitDir,
      args: ["cat-file", "-e", `${commit}^{commit}`],
      okExitCodes: [1, 128],
    });
    if (exitCode === 0) return commit;
    this.log.warn(
      { commit },
      "the last verified commit is not in the repository; verifying the whole history",
    );
    return null;
  }

  private async remember(commit: string | null): Promise<void> {
    if (commit === this.verified) return;
    this.verified = commit;
    const file = this.options.stateFile;
    if (file === null || commit === null) return;
    await mkdir(dirname(file), { recursive: true });
    await writeFile(`${file}.tmp`, `${commit}\n`);
    await rename(`${file}.tmp`, file);
  }

  private report(state: VerificationState, approved: ReadonlyMap<string, string>): void {
    for (const [commit, by] of approved)
      this.log.info({ commit, approvedBy: by }, "unverified commit approved");
    if (state.blocking.length === 0) {
      this.log.info({ tip: state.tip, checked: state.checked }, "commits verified");
      return;
    }
    for (const verdict of state.blocking) {
      this.log.warn(
        {
          commit: verdict.commit,
          author: verdict.author,
          reason: verdict.reason,
          key: verdict.key,
          detail: verdict.detail,
          subject: verdict.subject,
        },
        "commit not verified: nothing past the last verified commit is taken in",
      );
    }
    this.log.warn(
      { tip: state.tip, verified: state.verified, blocking: state.blocking.length },
      "watched branch held back",
    );
  }
}

async function readState(file: string | null): Promise<string | null> {
  if (file === null) return null;
  try {
    const text = (await readFile(file, "utf8")).trim();
    return /^[0-9a-f]{40,64}$/.test(text) ? text : null;
  } catch {
    return null;
  }
}
