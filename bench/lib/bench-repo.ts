/** Writes a generated repository to disk: a bare repository with `main` and, optionally, `cfs-status`. */
import { mkdir } from "node:fs/promises";
import { completedRecordFiles, repoFiles, type RepoShape } from "./generate.js";
import { componentFiles, configuredStatusFiles } from "./generate-components.js";
import { commitFiles, git } from "./git.js";

/** A repository the bench made. */
export interface BenchRepo {
  gitDir: string;
  shape: RepoShape;
  mainTip: string;
  statusTip: string | null;
  /** When the recorded sessions completed (null without records). */
  completedAt: Date | null;
}

/** Inputs of createBenchRepo. */
export interface BenchRepoInput {
  gitDir: string;
  shape: RepoShape;
  /** Sessions 0 .. recorded - 1 already have complete records on `cfs-status` (0: no status branch). */
  recorded: number;
  logsPerSession: number;
  /**
   * Components `components/<id>.yaml` on `main` (desired_config cycling over the configurations),
   * each with a configured record on `cfs-status` beside the configuration records when sessions
   * are recorded. 0 or absent: none.
   */
  components?: number;
}

/** Creates the repository (fast-import: a few seconds for 10,000 sessions). */
export async function createBenchRepo(input: BenchRepoInput): Promise<BenchRepo> {
  await mkdir(input.gitDir, { recursive: true });
  await git(["init", "--quiet", "--bare", "--initial-branch=main", input.gitDir]);
  const components = {
    components: input.components ?? 0,
    configurations: input.shape.configurations,
    shift: 0,
  };
  const mainTip = await commitFiles({
    gitDir: input.gitDir,
    branch: "main",
    files: new Map([...repoFiles(input.shape), ...componentFiles(components)]),
    message: `bench: ${input.shape.sessions} sessions, ${input.shape.configurations} configurations`,
  });
  let statusTip: string | null = null;
  const completedAt = input.recorded > 0 ? new Date(Date.now() - 3_600_000) : null;
  if (completedAt !== null) {
    const files = completedRecordFiles({
      shape: input.shape,
      count: input.recorded,
      sourceCommit: mainTip,
      completedAt,
      logsPerSession: input.logsPerSession,
    });
    if (components.components > 0) {
      const now = completedAt.toISOString().replace(/\.\d+Z$/, "Z");
      for (const [path, content] of configuredStatusFiles(components, now)) files.set(path, content);
    }
    statusTip = await commitFiles({
      gitDir: input.gitDir,
      branch: "cfs-status",
      files,
      message: `status: ${input.recorded} complete`,
      orphan: true,
    });
  }
  return { gitDir: input.gitDir, shape: input.shape, mainTip, statusTip, completedAt };
}

/** Adds sessions `from` .. `to - 1` to `main` in one commit; returns the commit. */
export function addSessions(
  repo: { gitDir: string; shape: RepoShape },
  range: { from: number; to: number },
): Promise<string> {
  const files = repoFiles({ ...repo.shape, sessions: range.to }, { from: range.from, configurations: false });
  return commitFiles({
    gitDir: repo.gitDir,
    branch: "main",
    files,
    message: `add ${range.to - range.from} sessions`,
  });
}
