/** Small repository queries shared by the sources and the status store. */
import { mkdir, realpath } from "node:fs/promises";
import { dirname } from "node:path";
import { GitCommandError } from "./errors.js";
import { plainRepositoryInfo } from "./plain-repository.js";
import { runGit } from "./run-git.js";

/** The all-zero id git uses for "no object" (a ref that does not exist yet). */
export const ZERO_OID = "0000000000000000000000000000000000000000";

/** Reject branch names git would not accept (and anything that could pass for an option). */
export function assertBranchName(branch: string): void {
  const bad =
    branch === "" ||
    branch.startsWith("-") ||
    branch.startsWith("/") ||
    branch.endsWith("/") ||
    branch.endsWith(".lock") ||
    branch.includes("..") ||
    branch.includes("@{") ||
    // eslint-disable-next-line no-control-regex
    /[\x00-\x20\x7f~^:?*[\\]/.test(branch);
  if (bad) throw new GitCommandError(`invalid branch name ${JSON.stringify(branch)}`, { branch });
}

/** Where a repository's refs and objects are, and how its objects are named. */
export interface RepositoryInfo {
  /** The absolute git directory (the common one, for a linked work tree). */
  gitDir: string;
  format: "sha1" | "sha256";
}

/** Answers of repositoryInfo, by the real path asked and by the git directory found. */
const known = new Map<string, RepositoryInfo>();

/**
 * The repository at `path` (a work tree, a linked work tree or a bare repository), from one
 * `git rev-parse` (or, for a plain bare repository, from its files: plain-repository.ts); never
 * looks above `path`. Remembered for the process: the source and the
 * status store of one command ask for the same repository (a CLI start-up pays one process).
 */
export async function repositoryInfo(path: string): Promise<RepositoryInfo> {
  let real: string;
  try {
    real = await realpath(path);
  } catch {
    throw new GitCommandError(`${path} does not exist`, { path });
  }
  const remembered = known.get(real) ?? plainRepositoryInfo(real); // a plain bare one: no git process
  if (remembered) {
    known.set(real, remembered);
    return remembered;
  }
  let lines: string[];
  try {
    const { stdout } = await runGit({
      cwd: real,
      env: { GIT_CEILING_DIRECTORIES: dirname(real) },
      args: ["rev-parse", "--path-format=absolute", "--git-common-dir", "--show-object-format"],
      timeoutMs: 30_000,
    });
    lines = stdout.toString("utf8").trim().split("\n");
  } catch (error) {
    throw new GitCommandError(`${path} is not a git repository`, { path }, { cause: error });
  }
  const info: RepositoryInfo = { gitDir: lines[0] ?? "", format: lines[1] === "sha256" ? "sha256" : "sha1" };
  known.set(real, info);
  known.set(info.gitDir, info);
  return info;
}

/** The absolute git directory of the repository at `path` (see repositoryInfo). */
export async function resolveGitDir(path: string): Promise<string> {
  return (await repositoryInfo(path)).gitDir;
}

/** The commit a ref points at, or null when it does not exist. */
export async function readRef(options: { gitDir: string; ref: string }): Promise<string | null> {
  const { stdout, exitCode } = await runGit({
    gitDir: options.gitDir,
    args: ["rev-parse", "--verify", "--quiet", "--end-of-options", `${options.ref}^{commit}`],
    okExitCodes: [1],
    timeoutMs: 30_000,
  });
  const oid = stdout.toString("utf8").trim();
  return exitCode === 0 && oid !== "" ? oid : null;
}

/**
 * Moves a local ref from `old` (null: it must not exist) to `commit` in one compare-and-swap.
 * False when someone else moved it first; other failures throw.
 */
export async function compareAndSwapRef(input: {
  gitDir: string;
  ref: string;
  commit: string;
  old: string | null;
  reason: string;
}): Promise<boolean> {
  const { gitDir, ref } = input;
  try {
    await runGit({
      gitDir,
      args: ["update-ref", "-m", input.reason, ref, input.commit, input.old ?? ZERO_OID],
    });
    return true;
  } catch (error) {
    // Not matched by message: the ref itself tells whether someone else moved it.
    if ((await readRef({ gitDir, ref })) !== input.old) return false;
    throw error;
  }
}

/** Run async work one at a time, in call order (a fetch, a commit, ...). */
export function serial(): <T>(work: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = tail.then(work, work);
    // The tail holds no result: a load's copy of 321,000 paths stayed alive until the next call.
    tail = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  };
}

/** Make sure a bare repository exists at `gitDir` (creating folders as needed). */
export async function ensureBareRepository(gitDir: string): Promise<void> {
  await mkdir(gitDir, { recursive: true });
  await runGit({ args: ["init", "--bare", "--quiet", gitDir], timeoutMs: 30_000 });
}

/** Oldest git this room works with: `cat-file --batch-command` (2.36), `GIT_CONFIG_COUNT` (2.31). */
export const MIN_GIT_VERSION: readonly [number, number] = [2, 36];
let versionCheck: Promise<void> | null = null;

/** Parse `git version 2.39.5` (and vendor suffixes) into [major, minor], or null. */
export function parseGitVersion(output: string): [number, number] | null {
  const match = /git version (\d+)\.(\d+)/.exec(output);
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/** Fail once, clearly, when the installed git is too old (checked on first use, then remembered). */
export function assertGitVersion(): Promise<void> {
  versionCheck ??= (async () => {
    const { stdout } = await runGit({ args: ["version"], timeoutMs: 30_000 });
    const version = parseGitVersion(stdout.toString("utf8"));
    const [major, minor] = MIN_GIT_VERSION;
    if (!version || version[0] < major || (version[0] === major && version[1] < minor)) {
      throw new GitCommandError(
        `git ${major}.${minor} or newer is required (found: ${stdout.toString("utf8").trim()})`,
        {
          found: stdout.toString("utf8").trim(),
        },
      );
    }
  })().catch((error: unknown) => {
    versionCheck = null;
    throw error;
  });
  return versionCheck;
}
