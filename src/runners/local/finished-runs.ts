/**
 * What observe() reads of the runs on disk, without reading a finished run twice. A run whose
 * state.json says `complete` never changes again (nothing writes a complete run's state; remove()
 * deletes its directory), so its state is kept in memory after the first read and only the
 * listing of `runs/` is read on every pass: 10,000 finished runs cost one readdir, not 10,000
 * file reads. A kept run leaves the cache when its directory leaves the listing, or when this
 * runner starts or removes its job.
 */
import { mapLimit } from "../map-limit.js";
import { listJobs, readState, runPaths, type RunState } from "./run-files.js";

/** state.json files read at once (the libuv pool has 4 threads; more only queue). */
const READ_CONCURRENCY = 8;

/** See the module comment. */
export class FinishedRuns {
  private readonly finished = new Map<string, RunState>();

  constructor(private readonly runsDir: string) {}

  /** How many finished runs are kept. */
  get size(): number {
    return this.finished.size;
  }

  /** Keep the state of a run read elsewhere (recovery) when it is complete. */
  keep(job: string, state: RunState): void {
    if (state.observation.phase === "complete") this.finished.set(job, state);
  }

  /** Forget a run (its directory is being removed or created again). */
  forget(job: string): void {
    this.finished.delete(job);
  }

  /**
   * The state of every run with a directory: kept states of finished runs, state.json read for the
   * others (unreadable ones left out, as before). Finished runs met for the first time are kept.
   */
  async states(): Promise<RunState[]> {
    const jobs = await listJobs(this.runsDir);
    const listed = new Set(jobs);
    for (const job of this.finished.keys()) if (!listed.has(job)) this.finished.delete(job);
    const unread = jobs.filter((job) => !this.finished.has(job));
    const read = await mapLimit({
      items: unread,
      limit: READ_CONCURRENCY,
      work: (job) => readState(runPaths(this.runsDir, job)),
    });
    const states = [...this.finished.values()];
    unread.forEach((job, i) => {
      const state = read[i] ?? null;
      if (state === null) return;
      this.keep(job, state);
      states.push(state);
    });
    return states;
  }
}
