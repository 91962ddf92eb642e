/**
 * Keeps a commit-graph with changed-path Bloom filters in a repository the controller writes or
 * fetches into (the status branch's repository, the watched branch's mirror), so that one
 * session's audit trail, `git log cfs-status -- sessions/<name>.json`, skips the commits that did
 * not touch it instead of diffing every commit's tree (14 days of history: 18.5 s -> ~1 s).
 *
 * Written in the background (`git commit-graph write --reachable --changed-paths --split`: a new
 * layer for the new commits, merged with the small layers above it as git decides), never
 * awaited by a pass: after `everyCommits` new commits, or on the first new commit once `everyMs`
 * has passed since the last write. At most one write runs per repository; a write that fails
 * (another git holding the graph's lock) is logged and the next new commit tries again. Each
 * write computes at most `maxNewFilters` Bloom filters, so the first write over a long history
 * spreads its work over several writes.
 */
import type { Logger } from "pino";
import { failureMessage } from "../api/errors.js";
import { runGit } from "./run-git.js";

/** Default: a write after this many new commits... */
export const COMMIT_GRAPH_EVERY_COMMITS = 100;
/** ...or on the first new commit once this long has passed since the last write. */
export const COMMIT_GRAPH_EVERY_MS = 60 * 60_000;
/**
 * Bloom filters computed by one write at most (about 0.3 ms each: ~15 s of one background git), so
 * the first write over a long history (a year: ~1.5 million commits) is spread over many writes.
 */
export const COMMIT_GRAPH_MAX_NEW_FILTERS = 50_000;

/** Options of CommitGraph. */
export interface CommitGraphOptions {
  gitDir: string;
  log: Logger;
  everyCommits?: number;
  everyMs?: number;
  maxNewFilters?: number;
  /** The clock of the cadence (ms); default Date.now. */
  now?: () => number;
}

/** The commit-graph of one repository; see the module comment. */
export class CommitGraph {
  private pending = 0;
  private lastWrite = Number.NEGATIVE_INFINITY;
  private writing: Promise<void> | null = null;
  private readonly log: Logger;

  constructor(private readonly options: CommitGraphOptions) {
    this.log = options.log.child({ component: "commit-graph" });
  }

  /** Count `count` new commits in the repository; starts a background write when one is due. */
  noteCommits(count = 1): void {
    this.pending += count;
    if (this.writing !== null || this.pending === 0) return;
    const now = (this.options.now ?? Date.now)();
    const due =
      this.pending >= (this.options.everyCommits ?? COMMIT_GRAPH_EVERY_COMMITS) ||
      now - this.lastWrite >= (this.options.everyMs ?? COMMIT_GRAPH_EVERY_MS);
    if (!due) return;
    this.pending = 0;
    this.lastWrite = now;
    this.writing = this.write().finally(() => {
      this.writing = null;
    });
  }

  /** Wait for the write in flight, if any (it never throws). */
  async flush(): Promise<void> {
    await this.writing;
  }

  private async write(): Promise<void> {
    const started = performance.now();
    const maxNewFilters = this.options.maxNewFilters ?? COMMIT_GRAPH_MAX_NEW_FILTERS;
    try {
      await runGit({
        gitDir: this.options.gitDir,
        args: [
          "commit-graph",
          "write",
          "--reachable",
          "--changed-paths",
          "--split",
          `--max-new-filters=${maxNewFilters}`,
          "--no-progress",
        ],
      });
      this.log.debug({ ms: Math.round(performance.now() - started) }, "commit-graph written");
    } catch (error) {
      this.log.warn({ err: failureMessage(error) }, "could not write the commit-graph; tried again later");
    }
  }
}

const graphs = new Map<string, CommitGraph>();

/**
 * The one CommitGraph of the repository at `options.gitDir` in this process (the status store and a
 * remote mirror sharing a cache repository share it, so their writes never race for its lock).
 */
export function commitGraphOf(options: CommitGraphOptions): CommitGraph {
  let graph = graphs.get(options.gitDir);
  if (graph === undefined) {
    graph = new CommitGraph(options);
    graphs.set(options.gitDir, graph);
  }
  return graph;
}
