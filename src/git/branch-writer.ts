/**
 * Writes to a branch of the configuration repository (the watched branch, or a new pull-request
 * branch) without a work tree: a few file changes become one commit on top of the branch tip (built
 * with `git fast-import`), published with a compare-and-swap (`update-ref <new> <old>` locally,
 * `push --force-with-lease` to a remote, credentials through the environment only). When the branch
 * moved meanwhile, the change is rebuilt on the new tip, unless one of its files changed there too:
 * then it stops with a BranchConflictError and nothing is published.
 */
import type { Logger } from "pino";
import { createCatFileReader, type CatFileReader } from "./cat-file-reader.js";
import type { Credentials } from "./credentials.js";
import { GitCommandError, GitError, PushRejectedError } from "./errors.js";
import { importCommit } from "./import-commit.js";
import { RemoteMirror } from "./remote-mirror.js";
import { assertBranchName, compareAndSwapRef, ensureBareRepository } from "./repository.js";
import { runGit } from "./run-git.js";
import { signCommit, signingFromGitConfig, type CommitSigning } from "./sign-commit.js";
import { realSleep, type Sleep } from "./sleep.js";

const SCRATCH_REF = "refs/cfs-gitops/branch-writer";
const DEFAULT_MAX_RETRIES = 5;
const BACKOFF_BASE_MS = 100;
const BACKOFF_MAX_MS = 2_000;

/** The same file changed on the branch since the change was prepared: a person must look (stalling). */
export class BranchConflictError extends GitError {
  readonly code = "BranchConflictError";
  readonly retry = "stalling";
}

/** Author and committer of a commit. */
export interface Identity {
  name: string;
  email: string;
}

/** Options of `createBranchWriter`. */
export interface BranchWriterOptions {
  /** Local: the repository's git directory. Remote: the bare cache repository. */
  gitDir: string;
  /** Set when the repository is a remote: where to push (credentials travel in the environment). */
  remote?: { url: string; credentials: Credentials | null } | null;
  /** Local only: the work tree whose checked-out branch should follow the commits (`read-tree -m -u`). */
  workTree?: string | null;
  log: Logger;
  maxRetries?: number;
  sleep?: Sleep;
  random?: () => number;
  /** Test hook: runs after a commit is built and before it is published. */
  beforePublish?: (attempt: { attempt: number; commit: string; parent: string }) => Promise<void> | void;
}

/** One change to make: files to write (`null` deletes) and the commit that records it. */
export interface BranchChange {
  branch: string;
  /** When `branch` does not exist: create it from this branch's tip (a pull-request branch). */
  startFrom?: string;
  /** The commit the caller read and validated the change against (default: the tip found now). */
  base?: string;
  changes: ReadonlyMap<string, Buffer | null>;
  message: string;
  author: Identity;
  when: Date;
  /** Checks the change's preconditions against each commit it is built on (but `base`, checked already); throw to stop. */
  check?: (parent: string) => Promise<void>;
}

/** A published change. */
export interface BranchChangeResult {
  commit: string;
  parent: string;
  /** True when the branch did not exist and was created. */
  created: boolean;
  /** How many times the branch had moved and the change was rebuilt. */
  retries: number;
  /** Set when a local work tree could not follow the branch (its files still show the old state). */
  workTreeWarning: string | null;
}

/** Commits changes to branches of one repository. */
export interface BranchWriter {
  /** The tip of a branch (fetched first when remote); null when it does not exist. */
  tip(branch: string): Promise<string | null>;
  /** The tip as the local repository has it after this writer's last push or fetch (no request once one happened). */
  localTip(branch: string): Promise<string | null>;
  commit(change: BranchChange): Promise<BranchChangeResult>;
  close(): Promise<void>;
}

/** Open a writer on a local repository or a remote's cache. */
export function createBranchWriter(options: BranchWriterOptions): BranchWriter {
  return new GitBranchWriter(options);
}

/** Where a change is built: the parent commit, and the tip the publish must replace (null: create). */
interface Base {
  parent: string;
  old: string | null;
}

class GitBranchWriter implements BranchWriter {
  private readonly reader: CatFileReader;
  private readonly mirrors = new Map<string, RemoteMirror>();
  /** What `commit.gpgsign` asks for, read once (null: unsigned commits). */
  private signing: Promise<CommitSigning | null> | null = null;
  private cache: Promise<void> | null = null;

  constructor(private readonly options: BranchWriterOptions) {
    this.reader = createCatFileReader({ gitDir: options.gitDir, log: options.log });
  }

  async tip(branch: string): Promise<string | null> {
    assertBranchName(branch);
    const mirror = this.mirror(branch);
    if (mirror) {
      this.cache ??= ensureBareRepository(this.options.gitDir);
      await this.cache;
      return mirror.sync();
    }
    // Asked of the long-lived cat-file: no process started per look (the REST API looks often).
    return this.reader.resolveCommit(`refs/heads/${branch}`);
  }

  async localTip(branch: string): Promise<string | null> {
    const mirror = this.mirror(branch);
    if (mirror?.known) return mirror.localTip();
    return mirror ? this.tip(branch) : this.reader.resolveCommit(`refs/heads/${branch}`);
  }

  async commit(change: BranchChange): Promise<BranchChangeResult> {
    assertBranchName(change.branch);
    const maxRetries = this.options.maxRetries ?? DEFAULT_MAX_RETRIES;
    let base = await this.findBase(change);
    let validated = change.base ?? base.parent;
    for (let retries = 0; ; retries++) {
      await this.assertUnchanged({ change, from: validated, to: base.parent });
      if (base.parent !== change.base) await change.check?.(base.parent);
      const commit = await this.build(change, base.parent);
      await this.options.beforePublish?.({ attempt: retries, commit, parent: base.parent });
      if (await this.publish({ branch: change.branch, commit, old: base.old })) {
        const workTreeWarning = await this.followWorkTree({ branch: change.branch, base, commit });
        return { commit, parent: base.parent, created: base.old === null, retries, workTreeWarning };
      }
      if (retries >= maxRetries) {
        throw new PushRejectedError(
          `branch ${change.branch} kept moving: gave up after ${retries + 1} attempts; run the command again`,
          { branch: change.branch, retries },
        );
      }
      this.options.log.info({ branch: change.branch, retry: retries + 1 }, "branch moved; rebuilding");
      await this.backoff(retries);
      validated = base.parent;
      base = await this.findBase(change);
    }
  }

  async close(): Promise<void> {
    await runGit({
      gitDir: this.options.gitDir,
      args: ["update-ref", "-d", SCRATCH_REF],
      okExitCodes: [1],
    }).catch(() => undefined);
    await this.reader.close();
  }

  private mirror(branch: string): RemoteMirror | null {
    const remote = this.options.remote;
    if (!remote) return null;
    let mirror = this.mirrors.get(branch);
    if (!mirror) {
      mirror = new RemoteMirror({
        gitDir: this.options.gitDir,
        url: remote.url,
        credentials: remote.credentials,
        branch,
        log: this.options.log,
        reader: this.reader,
      });
      this.mirrors.set(branch, mirror);
    }
    return mirror;
  }

  /** The branch tip, or (to create the branch) the tip of `startFrom`. */
  private async findBase(change: BranchChange): Promise<Base> {
    const tip = await this.tip(change.branch);
    if (tip !== null) return { parent: tip, old: tip };
    const from = change.startFrom;
    const start = from === undefined ? null : await this.tip(from);
    if (start === null) {
      const detail = from === undefined ? "" : ` (nor does ${from}, to start it from)`;
      throw new GitCommandError(`branch ${change.branch} does not exist${detail}`, { branch: change.branch });
    }
    return { parent: start, old: null };
  }

  /** Stop when a file of the change differs between the commit it was validated on and `to`. */
  private async assertUnchanged(input: { change: BranchChange; from: string; to: string }): Promise<void> {
    const { change, from, to } = input;
    if (from === to) return;
    const paths = [...change.changes.keys()];
    const { stdout } = await runGit({
      gitDir: this.options.gitDir,
      args: ["diff-tree", "-r", "--name-only", "--no-renames", from, to, "--", ...paths],
    });
    const moved = stdout.toString("utf8").trim().split("\n").filter(Boolean);
    if (moved.length === 0) return;
    const culprit = await this.lastChange({ from, to, path: moved[0] ?? "" });
    throw new BranchConflictError(
      `${moved.join(", ")} changed on ${change.branch} meanwhile (${culprit}): nothing was pushed; look at the branch and run the command again`,
      { branch: change.branch, paths: moved, from, to },
    );
  }

  private async lastChange(input: { from: string; to: string; path: string }): Promise<string> {
    const { stdout } = await runGit({
      gitDir: this.options.gitDir,
      args: ["log", "-1", "--format=%h by %an: %s", `${input.from}..${input.to}`, "--", input.path],
    });
    return stdout.toString("utf8").trim() || `commit ${input.to.slice(0, 12)}`;
  }

  /**
   * Build the commit with fast-import (no work tree, no index); returns its id. When git is
   * configured to sign commits (`commit.gpgsign`), git signs it again with `commit-tree -S`.
   */
  private async build(change: BranchChange, parent: string): Promise<string> {
    const unsigned = await importCommit({
      gitDir: this.options.gitDir,
      commit: {
        ref: SCRATCH_REF,
        parent,
        message: change.message,
        when: change.when,
        changes: [...change.changes],
        identity: change.author,
      },
    });
    this.signing ??= signingFromGitConfig(this.options.gitDir);
    const signing = await this.signing;
    if (signing === null) return unsigned;
    const { gitDir } = this.options;
    return signCommit({
      gitDir,
      unsigned,
      parent,
      message: change.message,
      identity: change.author,
      when: change.when,
      signing,
    });
  }

  /** Compare-and-swap `old` -> `commit`; false when the branch was no longer at `old`. */
  private async publish(input: { branch: string; commit: string; old: string | null }): Promise<boolean> {
    const mirror = this.mirror(input.branch);
    if (mirror) return mirror.push({ commit: input.commit, old: input.old });
    const ref = `refs/heads/${input.branch}`;
    return compareAndSwapRef({
      gitDir: this.options.gitDir,
      ref,
      commit: input.commit,
      old: input.old,
      reason: "cfs-gitops",
    });
  }

  /**
   * A local work tree with the branch checked out follows the commit (as `git checkout` would:
   * local edits are kept, and a conflicting one stops the update with a warning).
   */
  private async followWorkTree(input: {
    branch: string;
    base: Base;
    commit: string;
  }): Promise<string | null> {
    const workTree = this.options.workTree;
    if (!workTree || this.options.remote || input.base.old === null) return null;
    if (!(await isCheckedOut({ workTree, branch: input.branch }))) return null;
    try {
      await runGit({ cwd: workTree, args: ["read-tree", "-m", "-u", input.base.old, input.commit] });
      return null;
    } catch {
      return `the work tree at ${workTree} still shows the files before this commit (local changes are in the way): run "git status" there`;
    }
  }

  private async backoff(retries: number): Promise<void> {
    const random = this.options.random ?? Math.random;
    const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** retries);
    await (this.options.sleep ?? realSleep)(Math.round(random() * ceiling));
  }
}

/** True when `workTree` is a work tree (not a bare repository) with `branch` checked out. */
async function isCheckedOut(input: { workTree: string; branch: string }): Promise<boolean> {
  const inside = await runGit({
    cwd: input.workTree,
    args: ["rev-parse", "--is-inside-work-tree"],
    okExitCodes: [128],
  });
  if (inside.stdout.toString("utf8").trim() !== "true") return false;
  const head = await runGit({ cwd: input.workTree, args: ["symbolic-ref", "-q", "HEAD"], okExitCodes: [1] });
  return head.stdout.toString("utf8").trim() === `refs/heads/${input.branch}`;
}
