/**
 * Revisions named on the command line (`diff BASE..HEAD`), resolved to commits: in a local
 * repository any revision git understands; for a remote, branch names (fetched into the cache),
 * full refs such as `refs/pull/12/head`, or commit ids the cache already has.
 */
import { createBranchWriter } from "../git/branch-writer.js";
import { credentialEnv, credentialSecrets } from "../git/credentials.js";
import { toRemoteError } from "../git/remote-errors.js";
import { runGit } from "../git/run-git.js";
import { CliError } from "./errors.js";
import type { RepoContext } from "./repo-options.js";

/** `BASE..HEAD` (or `BASE...HEAD`) as its two sides. */
export function parseRange(range: string): { base: string; head: string } {
  const match = /^(.+?)\.\.\.?(.+)$/.exec(range);
  if (!match?.[1] || !match[2]) throw new CliError(`${range}: expected BASE..HEAD (e.g. main..my-branch)`, 2);
  return { base: match[1], head: match[2] };
}

/** The commit a revision names (fetching it first when the repository is remote). */
export async function resolveRevision(context: RepoContext, revision: string): Promise<string> {
  if (revision.startsWith("-")) throw new CliError(`${revision}: not a revision`, 2);
  if (context.config.kind === "remote") await fetchRemoteRevision(context, revision);
  const local = await revParse(
    context.gitDir,
    context.config.kind === "remote" ? remoteName(revision) : revision,
  );
  if (local === null)
    throw new CliError(`${revision}: no such branch or commit in ${context.source.description}`);
  return local;
}

async function revParse(gitDir: string, revision: string): Promise<string | null> {
  const { stdout, exitCode } = await runGit({
    gitDir,
    args: ["rev-parse", "--verify", "--quiet", "--end-of-options", `${revision}^{commit}`],
    okExitCodes: [1, 128],
  });
  const oid = stdout.toString("utf8").trim();
  return exitCode === 0 && oid !== "" ? oid : null;
}

const FETCHED_PREFIX = "refs/cfs-gitops/fetched/";

/** Where a remote revision lands in the cache. */
function remoteName(revision: string): string {
  if (/^[0-9a-f]{7,64}$/.test(revision)) return revision;
  if (revision.startsWith("refs/")) return `${FETCHED_PREFIX}${revision.slice("refs/".length)}`;
  return `refs/heads/${revision}`;
}

async function fetchRemoteRevision(context: RepoContext, revision: string): Promise<void> {
  if (/^[0-9a-f]{7,64}$/.test(revision) && (await revParse(context.gitDir, revision)) !== null) return;
  if (!revision.startsWith("refs/")) {
    const writer = createBranchWriter({
      gitDir: context.gitDir,
      remote: { url: context.config.repo, credentials: context.config.credentials },
      log: context.log,
    });
    try {
      await writer.tip(revision);
    } finally {
      await writer.close();
    }
    return;
  }
  const { repo, credentials } = context.config;
  const secrets = credentialSecrets(credentials);
  try {
    await runGit({
      gitDir: context.gitDir,
      args: [
        "fetch",
        "--quiet",
        "--no-tags",
        "--no-write-fetch-head",
        "--",
        repo,
        `+${revision}:${remoteName(revision)}`,
      ],
      env: credentialEnv(credentials, repo),
      secrets,
    });
  } catch (error) {
    throw toRemoteError(error, { operation: "fetch", url: repo, secrets });
  }
}

/** The tree of merging `head` into `base` (`git merge-tree --write-tree`), and the conflicting files. */
export async function mergeTree(input: {
  gitDir: string;
  base: string;
  head: string;
}): Promise<{ tree: string; conflicts: string[] }> {
  const { stdout, exitCode } = await runGit({
    gitDir: input.gitDir,
    args: ["merge-tree", "--write-tree", "--name-only", "--no-messages", input.base, input.head],
    okExitCodes: [1],
  });
  const [tree = "", ...rest] = stdout.toString("utf8").split("\n").filter(Boolean);
  return { tree, conflicts: exitCode === 1 ? rest : [] };
}
