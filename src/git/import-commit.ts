/** Builds one commit with `git fast-import` (no work tree, no index), for the status store and the branch writer. */
import { GitCommandError } from "./errors.js";
import { buildFastImportStream, type FastImportCommit } from "./fast-import.js";
import { runGit } from "./run-git.js";

/** Writes `commit` into the repository at `gitDir` and returns its id; `env` is added to git's environment. */
export async function importCommit(options: {
  gitDir: string;
  commit: FastImportCommit;
  env?: Readonly<Record<string, string>>;
}): Promise<string> {
  const { stdout } = await runGit({
    gitDir: options.gitDir,
    args: ["fast-import", "--quiet", "--force", "--done", "--date-format=raw"],
    ...(options.env ? { env: options.env } : {}),
    stdin: buildFastImportStream(options.commit),
  });
  const commit = stdout.toString("utf8").trim().split("\n").pop() ?? "";
  if (!/^[0-9a-f]{40,64}$/.test(commit)) {
    throw new GitCommandError("git fast-import did not report the new commit", {
      output: commit.slice(0, 200),
    });
  }
  return commit;
}
