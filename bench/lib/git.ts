/** The git CLI as the bench drives it: run a command and time it, build commits with fast-import. */
import { spawn } from "node:child_process";
import { fixtureStream, type FixtureFile } from "../../test/helpers/git-fixture.js";

/** Run git to completion and return its stdout (throws with stderr on failure). */
export function git(
  args: readonly string[],
  options: { gitDir?: string; stdin?: Buffer | string } = {},
): Promise<Buffer> {
  const argv = options.gitDir ? [`--git-dir=${options.gitDir}`, ...args] : [...args];
  return new Promise((resolve, reject) => {
    const child = spawn("git", argv, { env: benchEnv(), stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(Buffer.concat(out));
      else
        reject(
          new Error(`git ${args[0] ?? ""} exited ${code}: ${Buffer.concat(err).toString("utf8").trim()}`),
        );
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? "");
  });
}

/** Environment of the bench's own git commands: no user config, a fixed identity. */
export function benchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!key.startsWith("GIT_")) env[key] = value;
  return {
    ...env,
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_AUTHOR_NAME: "Bench",
    GIT_AUTHOR_EMAIL: "bench@example.com",
    GIT_COMMITTER_NAME: "Bench",
    GIT_COMMITTER_EMAIL: "bench@example.com",
    LC_ALL: "C",
  };
}

/** The commit a branch points at, or null. */
export async function tipOf(gitDir: string, branch: string): Promise<string | null> {
  try {
    return (
      (await git(["rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { gitDir }))
        .toString()
        .trim() || null
    );
  } catch {
    return null;
  }
}

/** One commit on `branch` (on top of its tip unless `orphan`) holding `files`; returns its id. */
export async function commitFiles(input: {
  gitDir: string;
  branch: string;
  files: ReadonlyMap<string, FixtureFile>;
  message: string;
  orphan?: boolean;
}): Promise<string> {
  const ref = `refs/heads/${input.branch}`;
  const parent = input.orphan ? null : await tipOf(input.gitDir, input.branch);
  const stream = fixtureStream({
    commit: { files: input.files, message: input.message },
    ref,
    parent,
    time: Math.floor(Date.now() / 1000),
  });
  await git(["fast-import", "--quiet", "--force", "--done"], { gitDir: input.gitDir, stdin: stream });
  const tip = await tipOf(input.gitDir, input.branch);
  if (!tip) throw new Error(`fast-import did not create ${ref}`);
  return tip;
}

/** Milliseconds `work` takes (wall clock). */
export async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}
