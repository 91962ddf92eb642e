/** Wires a real controller (local source, status store, local runner) onto a test repository. */
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { Controller } from "../../src/controller/index.js";
import { createLocalSource } from "../../src/git/local-source.js";
import { createStatusStore } from "../../src/git/status-store.js";
import { createLocalRunner } from "../../src/runners/local/index.js";
import type { Runner } from "../../src/runners/types.js";

/** A running controller and what to close. */
export interface Harness {
  controller: Controller;
  close(): Promise<void>;
}

/** Starts a controller on a local repository with its data under `dataDir`. */
export async function startController(input: {
  repo: string;
  dataDir: string;
  watch?: boolean;
  maxConcurrent?: number;
  /** The controller's resync interval (default its own). */
  resyncMs?: number;
  /** Wraps the local runner (a decorator that injects faults, say). */
  wrapRunner?: (runner: Runner) => Runner;
  log?: Logger;
  /** The controller's clock (default the system's). */
  now?: () => Date;
}): Promise<Harness> {
  const log = input.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
  const source = await createLocalSource({ path: input.repo, branch: "main", log });
  const status = await createStatusStore({ gitDir: source.gitDir, branch: "cfs-status", log });
  const runner = await createLocalRunner({
    dataDir: join(input.dataDir, "runner"),
    log,
    maxConcurrent: input.maxConcurrent ?? 4,
  });
  const controller = new Controller({
    source,
    status,
    runner: input.wrapRunner ? input.wrapRunner(runner) : runner,
    log,
    ...(input.resyncMs === undefined ? {} : { resyncMs: input.resyncMs }),
    ...(input.now === undefined ? {} : { now: input.now }),
  });
  if (input.watch) await controller.start();
  return {
    controller,
    close: async () => {
      await controller.stop();
      await runner.close();
      await source.close();
      await status.close();
    },
  };
}

/** Waits until `check` is true, passing the controller when a trigger may be missed. */
export async function waitFor(
  check: () => boolean,
  input: { timeoutMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + (input.timeoutMs ?? 60_000);
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${input.what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
