/** Wires a real controller (real git source and status store) to the recording runner, as the CLI would. */
import { pino, type Logger } from "pino";
import { Controller, type PassReport } from "../../src/controller/index.js";
import { createLocalSource, type LocalSource } from "../../src/git/local-source.js";
import { createRemoteSource, type RemoteSource } from "../../src/git/remote-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import type { ConfigSource, StatusStore } from "../../src/git/types.js";
import { RecordingRunner } from "./recording-runner.js";

/** A controller under measurement and what to close after. */
export interface Wired {
  controller: Controller;
  runner: RecordingRunner;
  source: ConfigSource;
  status: StatusStore;
  /** The repository the controller reads (the cache of a remote). */
  gitDir: string;
  /** Every pass's report, in order. */
  reports: PassReport[];
  close(): Promise<void>;
}

/** Where the controller reads from: a local repository, or a remote URL with a cache folder. */
export type Where = { kind: "local"; path: string } | { kind: "remote"; url: string; cacheDir: string };

/** Options of wireController. */
export interface WireOptions {
  where: Where;
  statusBranch?: string;
  /** Poll interval of a remote source (the bench mostly calls pass() itself). */
  pollIntervalMs?: number;
  log?: Logger;
}

/** Builds source, status store, recording runner and controller. */
export async function wireController(options: WireOptions): Promise<Wired> {
  const log = options.log ?? pino({ level: process.env["BENCH_LOG_LEVEL"] ?? "silent" });
  const statusBranch = options.statusBranch ?? "cfs-status";
  const { source, status } = await openGit({
    where: options.where,
    statusBranch,
    log,
    pollIntervalMs: options.pollIntervalMs ?? 3_600_000,
  });
  const runner = new RecordingRunner();
  const reports: PassReport[] = [];
  const controller = new Controller({
    source,
    status,
    runner,
    log,
    progressIntervalMs: 0,
    resyncMs: 3_600_000,
    onPass: (report) => reports.push(report),
  });
  return {
    controller,
    runner,
    source,
    status,
    gitDir: source.gitDir,
    reports,
    close: async () => {
      await controller.stop();
      await source.close();
      await status.close();
    },
  };
}

async function openGit(input: {
  where: Where;
  statusBranch: string;
  log: Logger;
  pollIntervalMs: number;
}): Promise<{ source: LocalSource | RemoteSource; status: StatusStore }> {
  const { where, statusBranch, log } = input;
  if (where.kind === "local") {
    const source = await createLocalSource({ path: where.path, branch: "main", log });
    const status = await createStatusStore({ gitDir: source.gitDir, branch: statusBranch, log });
    return { source, status };
  }
  const source = await createRemoteSource({
    url: where.url,
    branch: "main",
    cacheDir: where.cacheDir,
    log,
    pollIntervalMs: input.pollIntervalMs,
  });
  const status = await createStatusStore({
    gitDir: source.gitDir,
    branch: statusBranch,
    remote: { url: where.url },
    log,
  });
  return { source, status };
}
