/** Resolving a layer's branch to the commit it points at (`git ls-remote`), as CFS does when a configuration is saved. */
import { runGit } from "./run-git.js";

/** Inputs of resolveBranchCommit. */
export interface ResolveBranchInput {
  url: string;
  branch: string;
  /** Added to git's environment (credentials travel here, never in argv). */
  env?: Readonly<Record<string, string>>;
  secrets?: readonly string[];
  timeoutMs?: number;
}

/**
 * The commit `refs/heads/<branch>` points at in `url`, or null when the repository has no such
 * branch. A repository that cannot be reached rejects (a transient failure: try again later).
 */
export async function resolveBranchCommit(input: ResolveBranchInput): Promise<string | null> {
  const ref = `refs/heads/${input.branch}`;
  const output = await runGit({
    args: ["ls-remote", "--", input.url, ref],
    timeoutMs: input.timeoutMs ?? 60_000,
    ...(input.env ? { env: input.env } : {}),
    ...(input.secrets ? { secrets: input.secrets } : {}),
  });
  for (const line of output.stdout.toString("utf8").split("\n")) {
    const [commit, name] = line.split("\t");
    if (name === ref && commit !== undefined && /^[0-9a-f]{40,64}$/.test(commit)) return commit;
  }
  return null;
}
