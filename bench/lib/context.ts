/** What every scenario shares: the data folder, the generated repositories, the git server, the run counts. */
import { cp, mkdir } from "node:fs/promises";
import { join } from "node:path";
import { createBenchRepo, type BenchRepo } from "./bench-repo.js";
import { startServerProcess, type ServerProcess } from "./processes.js";

/** Options from the command line. */
export interface BenchOptions {
  /** The project's root folder (test/kube/bin is found from it). */
  root: string;
  dataDir: string;
  /** Sessions of the big repository (10,000 unless changed to try the bench quickly). */
  sessions: number;
  configurations: number;
  /** Step logs per recorded session on the status branch. */
  logsPerSession: number;
  /** Fewer runs of each scenario. */
  quick: boolean;
  /** History lengths (days) of the status branch growth scenario. */
  growthDays?: readonly number[];
}

/** See the module comment. */
export class BenchContext {
  private big: Promise<BenchRepo> | null = null;
  private server: Promise<ServerProcess> | null = null;

  constructor(readonly options: BenchOptions) {}

  /** How many runs a scenario makes: `normal`, or about a third of it with --quick (at least 2). */
  runs(normal: number): number {
    return this.options.quick ? Math.max(2, Math.ceil(normal / 3)) : normal;
  }

  /** Progress on stderr (the table goes to stdout). */
  progress(message: string): void {
    process.stderr.write(`[bench] ${message}\n`);
  }

  /** Folder the git server serves. */
  get serverRoot(): string {
    return join(this.options.dataDir, "served");
  }

  /**
   * The big local repository (`sessions` sessions, all with complete records on `cfs-status`),
   * created on first use and never changed (see copyOfBig); a copy is served as `big.git`.
   */
  bigRepo(): Promise<BenchRepo> {
    this.big ??= this.createBig();
    return this.big;
  }

  /**
   * A private copy of the big repository for a scenario that commits to it, so every scenario
   * starts from the same state (every session complete) whatever ran before.
   */
  async copyOfBig(label: string): Promise<BenchRepo> {
    const big = await this.bigRepo();
    const gitDir = join(this.options.dataDir, `${label}.git`);
    await cp(big.gitDir, gitDir, { recursive: true });
    return { ...big, gitDir };
  }

  /** The git HTTP server (a child process) over `serverRoot`, started on first use. */
  gitServer(): Promise<ServerProcess> {
    this.server ??= mkdir(this.serverRoot, { recursive: true }).then(() =>
      startServerProcess(this.serverRoot),
    );
    return this.server;
  }

  /** Stops what was started. */
  async close(): Promise<void> {
    if (this.server) await (await this.server).close();
  }

  private async createBig(): Promise<BenchRepo> {
    const { sessions, configurations, logsPerSession } = this.options;
    this.progress(`generating a repository of ${sessions} sessions, ${configurations} configurations`);
    const started = performance.now();
    const repo = await createBenchRepo({
      gitDir: join(this.options.dataDir, "big.git"),
      shape: { sessions, configurations },
      recorded: sessions,
      logsPerSession,
    });
    await mkdir(this.serverRoot, { recursive: true });
    await cp(repo.gitDir, join(this.serverRoot, "big.git"), { recursive: true });
    this.progress(`generated in ${Math.round(performance.now() - started)} ms`);
    return repo;
  }
}
