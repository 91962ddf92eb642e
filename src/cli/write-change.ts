/**
 * How the write commands commit: to the watched branch, or (`--branch NAME`) to a pull-request
 * branch started from it. Each command reads the tree it writes onto, checks its change against it,
 * and hands the files to the branch writer, which rebases the change when the branch moved (or
 * stops when the same file changed there).
 */
import { hostname, userInfo } from "node:os";
import {
  BranchConflictError,
  createBranchWriter,
  type BranchChangeResult,
  type BranchWriter,
  type Identity,
} from "../git/branch-writer.js";
import { GitFetchError } from "../git/errors.js";
import { runGit } from "../git/run-git.js";
import { CliError } from "./errors.js";
import { readManifestTree, type ManifestTree } from "./repo-tree.js";
import { withRepo, type GlobalFlags, type RepoContext } from "./repo-options.js";
import type { CliIo } from "./io.js";

/** Flags of every write command. */
export interface WriteFlags extends GlobalFlags {
  /** The watched branch (`--branch` names where to write). */
  base?: string;
  message?: string;
}

/** A write command's view: where it writes, on top of which commit, as whom. */
export interface WriteContext extends RepoContext {
  writer: BranchWriter;
  /** The watched branch. */
  watched: string;
  /** The branch written to: the watched branch, or a pull-request branch. */
  target: string;
  /** The commit the change goes on: the target's tip, or the watched branch's tip for a new branch. */
  base: string;
  targetExists: boolean;
  identity: Identity;
  /** `--message`: replaces the generated subject line. */
  message: string | null;
  /** Finished session files (see settled-sessions.ts); unset: every session's references are checked. */
  settled?: (path: string, blob: string) => boolean;
}

/** A change ready to commit. */
export interface ChangeInput {
  changes: ReadonlyMap<string, Buffer | null>;
  /** Subject line and body; `--message` replaces the subject. */
  subject: string;
  body?: string;
  /** Checks the change again on a tip it is rebased onto (throw CliError to stop). */
  check?: (tree: ManifestTree) => void;
}

/** Opens the repository for writing and runs `work`. */
export async function withWriteRepo(
  flags: WriteFlags,
  io: CliIo,
  work: (context: WriteContext) => Promise<void>,
): Promise<void> {
  const repoFlags: GlobalFlags = { ...flags };
  delete repoFlags.branch;
  if (flags.base !== undefined) repoFlags.branch = flags.base;
  await withRepo(
    repoFlags,
    async (context) => {
      const writer = createBranchWriter({
        gitDir: context.gitDir,
        remote:
          context.config.kind === "remote"
            ? { url: context.config.repo, credentials: context.config.credentials }
            : null,
        workTree: context.config.kind === "local" ? context.config.repo : null,
        log: context.log,
      });
      try {
        const write = await writeContext({ context, writer, target: flags.branch });
        await work({ ...write, message: flags.message ?? null });
      } finally {
        await writer.close();
      }
    },
    io,
  );
}

async function writeContext(input: {
  context: RepoContext;
  writer: BranchWriter;
  target: string | undefined;
}): Promise<Omit<WriteContext, "message">> {
  const { context, writer } = input;
  const watched = context.config.branch;
  const target = input.target ?? watched;
  if (target === context.config.statusBranch)
    throw new CliError(`--branch ${target}: that is the status branch, which only the controller writes`, 2);
  const targetTip = await writer.tip(target);
  const watchedTip = target === watched ? targetTip : await writer.tip(watched);
  const base = targetTip ?? watchedTip;
  if (base === null) throw new CliError(`branch ${watched} does not exist in ${context.source.description}`);
  // In a clone, its own user.name and user.email (its config, then the user's): not the cache's.
  const identity = await resolveIdentity({
    env: context.io.env,
    gitDir: context.gitDir,
    workTree: context.config.clone?.path ?? null,
  });
  return { ...context, writer, watched, target, base, targetExists: targetTip !== null, identity };
}

/** Reads the manifests of the commit a write command builds on (plus the proposed change). */
export function readBase(
  context: WriteContext,
  overlay?: ReadonlyMap<string, Buffer | null>,
): Promise<ManifestTree> {
  return readManifestTree({
    source: context.source,
    commit: context.base,
    ...(overlay ? { overlay } : {}),
    ...(context.settled ? { settled: context.settled } : {}),
  });
}

/** Commits and publishes a change; prints where it went. Returns the published commit. */
export async function commitChange(context: WriteContext, input: ChangeInput): Promise<BranchChangeResult> {
  const subject = context.message ?? input.subject;
  const message = input.body ? `${subject}\n\n${input.body}\n` : `${subject}\n`;
  const check = input.check;
  let result: BranchChangeResult;
  try {
    result = await context.writer.commit({
      branch: context.target,
      startFrom: context.watched,
      base: context.base,
      changes: input.changes,
      message,
      author: context.identity,
      when: context.io.now(),
      ...(check
        ? {
            check: async (parent: string) =>
              check(
                await readManifestTree({
                  source: context.source,
                  commit: parent,
                  overlay: input.changes,
                  ...(context.settled ? { settled: context.settled } : {}),
                }),
              ),
          }
        : {}),
    });
  } catch (error) {
    throw explainWriteError(error, context);
  }
  reportCommit(context, result, subject);
  return result;
}

function reportCommit(context: WriteContext, result: BranchChangeResult, subject: string): void {
  const { io, target, watched } = context;
  const short = result.commit.slice(0, 12);
  const moved = result.retries > 0 ? ` (rebased: ${target} had moved)` : "";
  const where = context.config.kind === "remote" ? "pushed" : "committed";
  if (target === watched) {
    io.stderr.write(`${where} ${short} to ${target}${moved}: ${subject}\n`);
  } else {
    const how = result.created ? `new branch ${target} (from ${watched})` : `branch ${target}`;
    io.stderr.write(
      `${where} ${short} to ${how}${moved}: ${subject}\nopen a pull request from ${target} into ${watched}; preview it with: cfs-gitops diff --pr ${target}\n`,
    );
  }
  if (result.workTreeWarning) io.stderr.write(`warning: ${result.workTreeWarning}\n`);
  const clone = context.config.clone;
  if (clone) io.stderr.write(`(pushed to ${clone.remote}; git pull brings it into ${clone.path})\n`);
}

/** Turn a write failure into one line the user can act on. */
function explainWriteError(error: unknown, context: WriteContext): unknown {
  if (error instanceof CliError || error instanceof BranchConflictError) return error;
  if (
    error instanceof GitFetchError &&
    context.config.kind === "remote" &&
    context.target === context.watched
  ) {
    return new CliError(
      `${error.message}; if ${context.target} is protected, use --branch NAME to push a pull-request branch instead`,
    );
  }
  return error;
}

/**
 * Who the commit is from: GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, else git's user.name/user.email (as
 * git reads them in the work tree the command runs in, when it runs in a clone; else in the
 * repository written), else the login name at this host.
 */
export async function resolveIdentity(input: {
  env: Readonly<Record<string, string | undefined>>;
  gitDir: string;
  workTree?: string | null;
}): Promise<Identity> {
  const where = input.workTree ? { cwd: input.workTree } : { gitDir: input.gitDir };
  const name = input.env["GIT_AUTHOR_NAME"] || (await gitConfig(where, "user.name"));
  const email = input.env["GIT_AUTHOR_EMAIL"] || (await gitConfig(where, "user.email"));
  const login = safeLogin();
  return {
    name: clean(name || login),
    email: clean(email || `${login}@${hostname()}`),
  };
}

async function gitConfig(where: { gitDir: string } | { cwd: string }, key: string): Promise<string> {
  const { stdout } = await runGit({ ...where, args: ["config", "--get", key], okExitCodes: [1] });
  return stdout.toString("utf8").trim();
}

function safeLogin(): string {
  try {
    return userInfo().username;
  } catch {
    return "cfs-gitops";
  }
}

/** Names and emails go into a commit header: no angle brackets or newlines. */
function clean(text: string): string {
  return text.replace(/[<>\n\r]/g, "").trim() || "cfs-gitops";
}
