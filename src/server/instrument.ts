/**
 * Decorators that feed metrics and readiness without the controller knowing: the source (fetch
 * duration, failures, last fetch state), the status store (commit-and-push duration, failures, and
 * a leadership fence) and the runner (commit-to-start latency).
 */
import type { RunSpec } from "../api/index.js";
import { isGitError } from "../git/errors.js";
import type { ConfigSource, StatusStore } from "../git/types.js";
import type { Runner } from "../runners/types.js";
import type { ControllerMetrics } from "./metrics.js";
import type { FetchState } from "./readiness.js";

/** The last fetch of the watched branch, kept for `/readyz`. */
export class FetchHealth {
  private current: FetchState = { ok: null, error: null };

  /** The state as of the last fetch. */
  get state(): FetchState {
    return this.current;
  }

  /** Records a fetch; the message kept is the git room's (already scrubbed of credentials). */
  record(error: unknown): void {
    this.current =
      error === null ? { ok: true, error: null } : { ok: false, error: describeFetchError(error) };
  }
}

function describeFetchError(error: unknown): string {
  if (isGitError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.name : "unknown error";
}

/** Seconds since `started` (a performance.now() value). */
function since(started: number): number {
  return (performance.now() - started) / 1000;
}

/** Wraps a source: every `fetchTip` is timed, counted when it fails, and recorded in `health`. */
export function instrumentSource(
  source: ConfigSource,
  input: { metrics: ControllerMetrics; health: FetchHealth },
): ConfigSource {
  const { metrics, health } = input;
  // A read of what is already here (only a first one, before any fetch, fetches): not timed as a fetch.
  const localTip = source.localTip?.bind(source);
  return {
    description: source.description,
    ...(localTip ? { localTip } : {}),
    fetchTip: async () => {
      const started = performance.now();
      try {
        const tip = await source.fetchTip();
        metrics.observeFetch({ seconds: since(started), ok: true });
        health.record(null);
        return tip;
      } catch (error) {
        metrics.observeFetch({ seconds: since(started), ok: false });
        health.record(error);
        throw error;
      }
    },
    diff: (from, to) => source.diff(from, to),
    readBlobs: (oids, maxBytes) => source.readBlobs(oids, maxBytes),
    watch: (onChange) => source.watch(onChange),
    close: () => source.close(),
  };
}

/** Thrown by a fenced status store when this replica is no longer allowed to write. */
export class NotLeaderError extends Error {
  readonly code = "NotLeaderError";
  constructor(message = "not the leader: status commits are fenced off") {
    super(message);
    this.name = "NotLeaderError";
  }
}

/**
 * Wraps a status store: every `commit` (which pushes when the repository is remote) is timed and
 * counted when it fails; when `mayWrite` says no (the lease is lost), the commit is refused.
 */
export function instrumentStatus(
  status: StatusStore,
  input: { metrics: ControllerMetrics; mayWrite?: () => boolean },
): StatusStore {
  const { metrics, mayWrite } = input;
  return {
    load: () => status.load(),
    readBlobs: (oids) => status.readBlobs(oids),
    pathsUnder: (prefixes) => status.pathsUnder(prefixes),
    commit: async (commitInput) => {
      if (mayWrite && !mayWrite()) throw new NotLeaderError();
      const started = performance.now();
      try {
        const result = await status.commit(commitInput);
        metrics.observePush({ seconds: since(started), ok: true });
        return result;
      } catch (error) {
        metrics.observePush({ seconds: since(started), ok: false });
        throw error;
      }
    },
    close: () => status.close(),
  };
}

/** Reads the committer time of a commit (null when it cannot be read). */
export type CommitTimeFn = (commit: string) => Promise<Date | null>;

/**
 * Wraps a runner: after `start` succeeds, observes the time from the committer time of the
 * session's source commit to now. A commit time that cannot be read is skipped, never an error.
 */
export function instrumentRunner(
  runner: Runner,
  input: { metrics: ControllerMetrics; commitTime: CommitTimeFn; now?: () => Date },
): Runner {
  const now = input.now ?? (() => new Date());
  const observe = async (spec: RunSpec): Promise<void> => {
    const committed = await input.commitTime(spec.sourceCommit).catch(() => null);
    if (committed) input.metrics.observeCommitToStart((now().getTime() - committed.getTime()) / 1000);
  };
  return {
    start: async (spec) => {
      await runner.start(spec);
      await observe(spec);
    },
    remove: (name, job) => runner.remove(name, job),
    observe: () => runner.observe(),
    onChange: (callback) => runner.onChange(callback),
    readLog: (job, step) => runner.readLog(job, step),
    isReady: () => runner.isReady(),
    close: () => runner.close(),
    // Without it the controller would start one run at a time (the kubernetes runner takes 16).
    ...(runner.startConcurrency === undefined ? {} : { startConcurrency: runner.startConcurrency }),
  };
}

/** The runner's readiness (the kubernetes runner: informers synced and watching). */
export function runnerReadiness(runner: Runner): () => boolean {
  return () => runner.isReady();
}
