/**
 * What observe() reads of the runs on disk, without reading a finished run twice. A run whose
 * state.json says `complete` never changes again (nothing writes a complete run's state; remove()
 * deletes its directory), so its state is kept in memory after the first read. The listing of
 * `runs/` is kept too, and read again only when the folder's mtime moved (a run directory created,
 * renamed into place or removed): listing 10,000 entries costs ~7 ms of CPU, a stat of the folder
 * ~0.1 ms. A kept run leaves the cache when its directory leaves the listing, or when this runner
 * starts or removes its job. Each run kept is also saved to the index of finished runs (see
 * finished-index.ts), which the next restart reads instead of every run's state.json.
 */
import { stat } from "node:fs/promises";
import { mapLimit } from "../map-limit.js";
import type { FinishedIndex, IndexedRun } from "./finished-index.js";
import { listJobs, readStampedState, statePath, type RunState, type StampedState } from "./run-files.js";

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
  private readonly finished = new Map<string, StampedState>();
  private listing: Listing | null = null;
  /** Runs kept since the index was last saved to. */
  private added: IndexedRun[] = [];
  /** Goes up whenever the set of kept runs changes. */
  private keptVersion = 0;
  /** The jobs of the listing not kept as finished, while the listing and the kept runs stay the same. */
  private unread: { listing: Listing; version: number; jobs: string[] } | null = null;

  /**
   * `now`: the runner's clock (ms); a clock behind the file system's only means listing every pass.
   * `index`: where kept runs are saved for the next restart (none: nothing is saved).
   */
  constructor(
    private readonly runsDir: string,
    private readonly now: () => number,
    private readonly index: FinishedIndex | null = null,
  ) {}

  /** How many finished runs are kept. */
  get size(): number {
    return this.finished.size;
  }

  /**
   * Keep the state of a run (read by recovery, or by states()) when it is complete; `indexed`: it
   * came from the index, so it needs no new line there.
   */
  keep(job: string, run: StampedState & { indexed?: boolean }): void {
    if (run.state.observation.phase !== "complete") return;
    const { state, stamp } = run;
    this.finished.set(job, { state, stamp });
    this.keptVersion += 1;
    if (run.indexed !== true) this.added.push({ job, state, stamp });
  }

  /** Goes up whenever the set of kept finished runs changes (see finishedStates). */
  get version(): number {
    return this.keptVersion;
  }

  /** The kept finished runs' states, by job. */
  finishedStates(): IterableIterator<StampedState> {
    return this.finished.values();
  }

  /** Save the runs kept since the last save to the index (in the background; see FinishedIndex.flush). */
  saveIndex(): void {
    if (this.index === null) return;
    const added = this.added.filter((run) => this.finished.get(run.job)?.stamp === run.stamp);
    this.added = [];
    this.index.save({
      added,
      liveCount: this.finished.size,
      live: () => [...this.finished].map(([job, run]) => ({ job, ...run })),
    });
  }

  /** Forget a run (its directory is being removed or created again). */
  forget(job: string): void {
    if (this.finished.delete(job)) this.keptVersion += 1;
    this.listing = null;
  }

  /**
   * The state of every run with a directory: kept states of finished runs, state.json read for the
   * others (unreadable ones left out, as before). Finished runs met for the first time are kept.
   */
  async states(): Promise<RunState[]> {
    const others = await this.readOthers();
    return [...[...this.finished.values()].map((run) => run.state), ...others];
  }

  /**
   * Read the state.json of every run with a directory that is not kept as finished; those found
   * complete are kept from now on (see finishedStates). Returns the states of the runs not finished.
   */
  async readOthers(): Promise<RunState[]> {
    const unread = await this.unreadJobs();
    if (unread.length === 0) return [];
    const read = await mapLimit({
      items: unread,
      limit: READ_CONCURRENCY,
      work: (job) => readStampedState(statePath(this.runsDir, job)),
    });
    const others: RunState[] = [];
    unread.forEach((job, i) => {
      const run = read[i] ?? null;
      if (run === null) return;
      this.keep(job, run);
      if (run.state.observation.phase !== "complete") others.push(run.state);
    });
    if (this.added.length > 0) this.saveIndex();
    return others;
  }

  /** The listed jobs not kept as finished (kept while neither the listing nor the kept runs change). */
  private async unreadJobs(): Promise<string[]> {
    const jobs = await this.jobs();
    const listing = this.listing;
    const cached = this.unread;
    if (cached !== null && cached.listing === listing && cached.version === this.keptVersion)
      return cached.jobs;
    const unread = jobs.filter((job) => !this.finished.has(job));
    this.unread = listing === null ? null : { listing, version: this.keptVersion, jobs: unread };
    return unread;
  }

  private forgetKept(job: string): void {
    this.finished.delete(job);
    this.keptVersion += 1;
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
    for (const job of this.finished.keys()) if (!listed.has(job)) this.forgetKept(job);
    this.listing = { jobs, mtimeNs, at };
    return jobs;
  }
}

/** Whether a folder last changed at `mtimeNs` cannot have changed again unseen by a listing made at `at`. */
function isSettled(mtimeNs: bigint, at: number): boolean {
  return mtimeNs >= 0n && at - Number(mtimeNs / 1_000_000n) > RACY_MS;
}
