/** Reads the two logs behind `sessions history` with git and merges them (see history.ts). */
import { sessionRecordPath } from "../api/index.js";
import { runGit } from "../git/run-git.js";
import {
  buildTimeline,
  MANIFEST_LOG_FORMAT,
  MERGE_FORMAT,
  parseManifestLog,
  parseMerge,
  parseStatusLog,
  STATUS_LOG_FORMAT,
  type MergeInfo,
  type TimelineEvent,
} from "./history.js";
import { manifestPathsOf } from "./repo-tree.js";

/** Inputs of readSessionHistory. */
export interface HistoryInput {
  gitDir: string;
  name: string;
  /** Tips of the watched branch and of the status branch (null when absent). */
  watchedTip: string | null;
  statusTip: string | null;
}

/** The session's timeline, oldest first. */
export async function readSessionHistory(input: HistoryInput): Promise<TimelineEvent[]> {
  const { gitDir, name, watchedTip, statusTip } = input;
  const manifest =
    watchedTip === null
      ? []
      : parseManifestLog(
          await git(gitDir, [
            "log",
            "--no-renames",
            "--name-status",
            `--format=${MANIFEST_LOG_FORMAT}`,
            watchedTip,
            "--",
            ...manifestPathsOf("Session", name),
          ]),
        );
  const merges = new Map<string, MergeInfo | null>();
  if (watchedTip !== null && manifest.length > 0) {
    const chain = await firstParentChain(gitDir, watchedTip);
    for (const commit of manifest) {
      merges.set(commit.commit, await mergeOf({ gitDir, commit: commit.commit, tip: watchedTip, chain }));
    }
  }
  const status =
    statusTip === null
      ? []
      : parseStatusLog(
          await git(gitDir, [
            "log",
            "--no-renames",
            "--name-status",
            `--format=${STATUS_LOG_FORMAT}`,
            statusTip,
            "--",
            sessionRecordPath(name),
          ]),
          name,
        );
  return buildTimeline({ manifest, merges, status });
}

async function git(gitDir: string, args: string[]): Promise<string> {
  const { stdout } = await runGit({ gitDir, args });
  return stdout.toString("utf8");
}

/** The watched branch's first-parent line, newest first. */
async function firstParentChain(gitDir: string, tip: string): Promise<string[]> {
  return (await git(gitDir, ["rev-list", "--first-parent", tip])).split("\n").filter(Boolean);
}

/**
 * The commit of the first-parent line that brought `commit` in: null when `commit` is on that line
 * itself (committed or fast-forwarded to the branch), else the oldest line commit descending from it
 * (the merge of its pull request).
 */
async function mergeOf(input: {
  gitDir: string;
  commit: string;
  tip: string;
  chain: readonly string[];
}): Promise<MergeInfo | null> {
  const { gitDir, commit, tip, chain } = input;
  if (chain.includes(commit)) return null;
  const descendants = new Set(
    (await git(gitDir, ["rev-list", "--ancestry-path", `${commit}..${tip}`])).split("\n").filter(Boolean),
  );
  let merge: string | null = null;
  for (const candidate of chain) {
    if (!descendants.has(candidate)) break;
    merge = candidate;
  }
  if (merge === null) return null;
  return parseMerge(await git(gitDir, ["log", "-1", `--format=${MERGE_FORMAT}`, merge]));
}
