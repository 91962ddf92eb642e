/**
 * Fixture repositories for git tests: commits made with `git fast-import` from a map of files,
 * with a fixed author, committer and clock, so every commit id is the same on every run.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/** Fixed identity of fixture commits. */
export const FIXTURE_AUTHOR = "Fixture Author <fixture@example.com>";
/** Time of the first fixture commit (seconds); each further commit is one minute later. */
export const FIXTURE_EPOCH = 1_700_000_000;

/** What a path becomes in a commit: content, deleted (null), a symlink or a submodule entry. */
export type FixtureFile = string | Buffer | null | { symlink: string } | { submodule: string };

/** A commit to make. */
export interface FixtureCommit {
  files: Record<string, FixtureFile> | ReadonlyMap<string, FixtureFile>;
  message?: string;
  branch?: string;
  /** Commit time in seconds (default: one minute after the previous fixture commit). */
  time?: number;
  /** Start the branch without a parent even if it exists. */
  orphan?: boolean;
}

/** A repository made for a test. */
export interface FixtureRepo {
  /** The path given to createLocalSource (the work tree, or the bare repository). */
  path: string;
  gitDir: string;
  commit(commit: FixtureCommit): Promise<string>;
  /** The tip of a branch, or null. */
  tip(branch?: string): Promise<string | null>;
  /** Run git in the repository; returns stdout. */
  git(args: readonly string[], stdin?: string | Buffer): Promise<string>;
}

/** Environment for fixture git commands: no user config, fixed identity. */
export function fixtureEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("GIT_")) env[key] = value;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "Fixture Author",
    GIT_AUTHOR_EMAIL: "fixture@example.com",
    GIT_COMMITTER_NAME: "Fixture Author",
    GIT_COMMITTER_EMAIL: "fixture@example.com",
    LC_ALL: "C",
  };
}

/** Run git with the fixture environment. */
export async function git(args: readonly string[], options: { cwd?: string; stdin?: string | Buffer } = {}) {
  const child = exec("git", [...args], {
    cwd: options.cwd,
    env: fixtureEnv(),
    maxBuffer: 256 * 1024 * 1024,
    encoding: "buffer",
  });
  if (options.stdin !== undefined) child.child.stdin?.end(options.stdin);
  const { stdout } = await child;
  return stdout.toString("utf8");
}

/** A fresh temporary folder; remove it with `removeTempDir`. */
export function makeTempDir(prefix = "cfs-git-"): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Create a repository at `dir` (bare or with a work tree) whose default branch is `branch`. */
export async function createFixtureRepo(options: {
  dir: string;
  bare?: boolean;
  branch?: string;
}): Promise<FixtureRepo> {
  const { dir, bare = false, branch = "main" } = options;
  await git(["init", "--quiet", ...(bare ? ["--bare"] : []), `--initial-branch=${branch}`, dir]);
  const gitDir = bare ? dir : join(dir, ".git");
  let clock = FIXTURE_EPOCH;
  const run = (args: readonly string[], stdin?: string | Buffer) =>
    git([`--git-dir=${gitDir}`, ...args], stdin === undefined ? {} : { stdin });
  const tip = async (name = branch): Promise<string | null> => {
    const out = await exec(
      "git",
      [`--git-dir=${gitDir}`, "rev-parse", "--verify", "--quiet", `refs/heads/${name}`],
      {
        env: fixtureEnv(),
      },
    ).catch(() => ({ stdout: "" }));
    return out.stdout.trim() || null;
  };
  return {
    path: dir,
    gitDir,
    tip,
    git: run,
    async commit(commit) {
      const time = commit.time ?? clock;
      clock = time + 60;
      const name = commit.branch ?? branch;
      const parent = commit.orphan ? null : await tip(name);
      await run(
        ["fast-import", "--quiet", "--force", "--done"],
        fixtureStream({ commit, ref: `refs/heads/${name}`, parent, time }),
      );
      return (await tip(name))!;
    },
  };
}

/** The fast-import stream of one fixture commit. */
export function fixtureStream(input: {
  commit: FixtureCommit;
  ref: string;
  parent: string | null;
  time: number;
}): Buffer {
  const { commit, ref, parent, time } = input;
  const message = Buffer.from(`${commit.message ?? `commit at ${time}`}\n`);
  const who = `${FIXTURE_AUTHOR} ${time} +0000`;
  const parts: Buffer[] = [
    Buffer.from(`reset ${ref}\n\ncommit ${ref}\nauthor ${who}\ncommitter ${who}\ndata ${message.length}\n`),
    message,
    Buffer.from(parent ? `from ${parent}\n` : ""),
  ];
  const files: Array<[string, FixtureFile]> =
    commit.files instanceof Map
      ? [...(commit.files as ReadonlyMap<string, FixtureFile>)]
      : Object.entries(commit.files as Record<string, FixtureFile>);
  for (const [path, file] of files) parts.push(...fileCommand(path, file));
  parts.push(Buffer.from("\ndone\n"));
  return Buffer.concat(parts);
}

function fileCommand(path: string, file: FixtureFile): Buffer[] {
  if (file === null) return [Buffer.from(`D ${path}\n`)];
  if (typeof file === "object" && "submodule" in file)
    return [Buffer.from(`M 160000 ${file.submodule} ${path}\n`)];
  const isLink = typeof file === "object" && "symlink" in file;
  const mode = isLink ? "120000" : "100644";
  const data = isLink ? Buffer.from(file.symlink) : Buffer.isBuffer(file) ? file : Buffer.from(file);
  return [Buffer.from(`M ${mode} inline ${path}\ndata ${data.length}\n`), data, Buffer.from("\n")];
}
