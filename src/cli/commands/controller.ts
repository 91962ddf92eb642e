/** `cfs-gitops controller`: watch the repository, run sessions, write the status branch. */
import { join } from "node:path";
import type { Command } from "commander";
import { Controller } from "../../controller/index.js";
import { locateManifestPointer, parseManifest } from "../../manifest/index.js";
import { createLocalRunner } from "../../runners/local/index.js";
import { resolveControllerConfig, type ControllerFlags } from "../config.js";
import { createLogger } from "../logger.js";
import { openRepository } from "../open-repo.js";
import { addRepoOptions } from "../repo-options.js";

/** Registers `controller`. */
export function registerController(program: Command): void {
  addRepoOptions(
    program
      .command("controller")
      .description("watch the configuration repository, run its sessions and commit their status")
      .option("--once", "reconcile the current tip, wait for the sessions it started to finish, then exit")
      .option(
        "--poll-interval <duration>",
        "remote repositories: how often to poll (e.g. 30s, 5m) [env CFS_GITOPS_POLL_INTERVAL]",
      )
      .option("--max-concurrent <n>", "sessions running at once [env CFS_GITOPS_MAX_CONCURRENT]", undefined)
      .addHelpText(
        "after",
        `
A local path is watched (a commit is seen within a second); an http(s) URL is polled.
Credentials for a remote come from --git-credentials-file or CFS_GITOPS_GIT_USERNAME and
CFS_GITOPS_GIT_PASSWORD (or CFS_GITOPS_GIT_TOKEN); they are never logged.

Examples:
  cfs-gitops controller --repo ./site-config
  cfs-gitops controller --repo https://git.example.org/site/config.git --poll-interval 1m
  cfs-gitops controller --repo ./site-config --once`,
      ),
  ).action(async (flags: ControllerFlags & { logLevel?: string }) => {
    await runController(flags);
  });
}

async function runController(flags: ControllerFlags & { logLevel?: string }): Promise<void> {
  const config = resolveControllerConfig(flags, process.env);
  const log = createLogger({ level: flags.logLevel === "warn" ? "info" : (flags.logLevel ?? "info") });
  const repo = await openRepository({ config, log, pollIntervalMs: config.pollIntervalMs });
  const runner = await createLocalRunner({
    dataDir: join(config.dataDir, "runner"),
    log,
    maxConcurrent: config.maxConcurrent,
  });
  const controller = new Controller({
    source: repo.source,
    status: repo.status,
    runner,
    parse: parseManifest,
    locate: locateManifestPointer,
    log,
  });
  log.info(
    {
      repo: repo.source.description,
      branch: config.branch,
      statusBranch: config.statusBranch,
      dataDir: config.dataDir,
    },
    "controller starting",
  );
  const shutdown = async (): Promise<void> => {
    await controller.stop();
    await runner.close();
    await repo.close();
  };
  if (config.once) {
    const settled = await controller.runUntilSettled();
    await shutdown();
    if (!settled) log.warn("some sessions are still unfinished");
    return;
  }
  await controller.start();
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      log.info({ signal }, "stopping; runs in flight keep going and are picked up on the next start");
      void shutdown().then(resolve);
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}
