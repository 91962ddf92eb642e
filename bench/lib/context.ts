/** What every scenario shares: the data folder, the generated repositories, the git server, the run counts. */
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
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
  /** Components of the big repository (each configured, with its record), 0 for none. */
  components: number;
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
    await rm(gitDir, { recursive: true, force: true }); // a kept data folder (--data) may hold the last run's
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
    const { sessions, configurations, components, logsPerSession } = this.options;
    const described = join(this.options.dataDir, "big.json");
    const kept = await keptBig(described, { sessions, configurations, components, logsPerSession });
    if (kept) {
      this.progress(`reusing the repository in ${kept.gitDir}`);
      return kept;
    }
    this.progress(
      `generating a repository of ${sessions} sessions, ${configurations} configurations, ${components} components`,
    );
    const started = performance.now();
    const repo = await createBenchRepo({
      gitDir: join(this.options.dataDir, "big.git"),
      shape: { sessions, configurations },
      recorded: sessions,
      logsPerSession,
      components,
    });
    await mkdir(this.serverRoot, { recursive: true });
    await cp(repo.gitDir, join(this.serverRoot, "big.git"), { recursive: true });
    await writeFile(described, JSON.stringify({ repo, components, logsPerSession }));
    this.progress(`generated in ${Math.round(performance.now() - started)} ms`);
    return repo;
  }
}

/** The big repository a previous run kept in the data folder (`--data`), if it has the same shape. */
async function keptBig(
  described: string,
  want: { sessions: number; configurations: number; components: number; logsPerSession: number },
): Promise<BenchRepo | null> {
  const text = await readFile(described, "utf8").catch(() => null);
  if (text === null) return null;
  const kept = JSON.parse(text) as {
    repo: Omit<BenchRepo, "completedAt"> & { completedAt: string | null };
    components: number;
    logsPerSession: number;
  };
  const same =
    kept.repo.shape.sessions === want.sessions &&
    kept.repo.shape.configurations === want.configurations &&
    kept.components === want.components &&
    kept.logsPerSession === want.logsPerSession;
  if (!same) return null;
  const completedAt = kept.repo.completedAt === null ? null : new Date(kept.repo.completedAt);
  return { ...kept.repo, completedAt };
}
