/**
 * What observe() reads of the runs on disk, without reading a finished run twice. A run whose
 * state.json says `complete` never changes again (nothing writes a complete run's state; remove()
 * deletes its directory), so its state is kept in memory after the first read. The listing of
 * `runs/` is kept too, and read again only when the folder's mtime moved (a run directory created,
 * renamed into place or removed): listing 10,000 entries costs ~7 ms of CPU, a stat of the folder
 * ~0.1 ms. A kept run leaves the cache when its directory leaves the listing, or when this runner
 * starts or removes its job.
 */
import { stat } from "node:fs/promises";
import { mapLimit } from "../map-limit.js";
import { listJobs, readState, runPaths, type RunState } from "./run-files.js";

/** state.json files read at once (the libuv pool has 4 threads; more only queue). */
const READ_CONCURRENCY = 8;

/**
 * A listing is trusted while the folder's mtime is the one seen before it was read, and only once
 * that mtime is this much older than the listing: file system times tick coarsely (a jiffy, or a
 * second on some file systems), so two changes within one tick leave one mtime (git's "racy" case).
 */
const RACY_MS = 2_000;

interface Listing {
  jobs: string[];
  /** The folder's mtime (ns) read before the listing. */
  mtimeNs: bigint;
  /** When the listing was read (ms, the runner's clock). */
  at: number;
}

/** See the module comment. */
export class FinishedRuns {
  private readonly finished = new Map<string, RunState>();
  private listing: Listing | null = null;

  /** `now`: the runner's clock (ms); a clock behind the file system's only means listing every pass. */
  constructor(
    private readonly runsDir: string,
    private readonly now: () => number,
  ) {}

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
    this.listing = null;
  }

  /**
   * The state of every run with a directory: kept states of finished runs, state.json read for the
   * others (unreadable ones left out, as before). Finished runs met for the first time are kept.
   */
  async states(): Promise<RunState[]> {
    const jobs = await this.jobs();
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

  /** The jobs with a run directory: the kept listing while the folder is unchanged, else a new one. */
  private async jobs(): Promise<string[]> {
    const mtimeNs = await stat(this.runsDir, { bigint: true }).then(
      (stats) => stats.mtimeNs,
      () => -1n,
    );
    const kept = this.listing;
    if (kept !== null && kept.mtimeNs === mtimeNs && isSettled(mtimeNs, kept.at)) return kept.jobs;
    const at = this.now();
    const jobs = await listJobs(this.runsDir);
    const listed = new Set(jobs);
    for (const job of this.finished.keys()) if (!listed.has(job)) this.finished.delete(job);
    this.listing = { jobs, mtimeNs, at };
    return jobs;
  }
}

/** Whether a folder last changed at `mtimeNs` cannot have changed again unseen by a listing made at `at`. */
function isSettled(mtimeNs: bigint, at: number): boolean {
  return mtimeNs >= 0n && at - Number(mtimeNs / 1_000_000n) > RACY_MS;
}
