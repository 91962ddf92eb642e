/**
 * The forge beside a running controller: the outcome of each commit's sessions as a commit status
 * (after every status commit), and pull request checks asked for by the forge's webhook. Every
 * forge call goes through one ForgeQueue (retried, deduplicated, dropped after a limit), so the
 * forge being slow or down never holds up a pass. Pull requests are previewed in a repository
 * cache of their own (`<data-dir>/pr-checks`), so fetching their heads never touches the
 * controller's.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import type { StatusCommitNotice } from "../controller/index.js";
import { realSleep } from "../git/sleep.js";
import { ForgeQueue, OutcomeNotifier, type Forge, type ForgeQueueOptions } from "../forge/index.js";
import type { RepoConfig } from "./config.js";
import { openForge, type ForgeConfig } from "./forge-config.js";
import { processIo } from "./io.js";
import { openRepository, type OpenRepository } from "./open-repo.js";
import { checkPullRequest, prCheckCalls } from "./pr-check.js";

/** Inputs of ForgeServices. */
export interface ForgeServicesInput {
  forge: Forge;
  config: RepoConfig;
  log: Logger;
  /** The queue's retry settings (tests shorten them). */
  queue?: Omit<ForgeQueueOptions, "log">;
}

/** Commit statuses and pull request checks for one controller. */
export class ForgeServices {
  readonly queue: ForgeQueue;
  private readonly notifier: OutcomeNotifier;
  private readonly log: Logger;
  private prRepo: Promise<OpenRepository> | null = null;

  constructor(private readonly input: ForgeServicesInput) {
    this.log = input.log.child({ component: "forge", forge: input.forge.kind });
    this.queue = new ForgeQueue({ ...input.queue, log: this.log });
    this.notifier = new OutcomeNotifier({ forge: input.forge, queue: this.queue });
  }

  /** The controller's `onStatusCommit`: queues the outcome statuses of the commits it touched. */
  readonly onStatusCommit = (notice: StatusCommitNotice): void => {
    try {
      this.notifier.onStatusCommit(notice);
    } catch (error) {
      this.log.warn({ err: error }, "could not queue the sessions' commit statuses");
    }
  };

  /** The webhook's pull request handler: queues a check of `pr` (a newer request replaces a waiting one). */
  readonly checkPullRequest = (pr: number): void => {
    this.queue.enqueue({
      key: `check ${pr}`,
      what: `check of pull request ${pr}`,
      run: () => this.runCheck(pr),
    });
  };

  /** Waits for the calls queued so far (tests). */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /**
   * Gives the calls queued `graceMs` (default 10 s) to go out, then drops those still waiting, waits
   * for the one running and closes the pull request cache.
   */
  async close(graceMs = 10_000): Promise<void> {
    const grace = new AbortController();
    await Promise.race([this.queue.idle(), realSleep(graceMs, grace.signal).catch(() => undefined)]);
    grace.abort();
    await this.queue.close();
    const repo = this.prRepo;
    this.prRepo = null;
    if (repo) await (await repo.catch(() => null))?.close();
  }

  private async runCheck(pr: number): Promise<void> {
    const repo = await this.openPrRepo();
    const config = this.prConfig();
    const context = {
      config,
      log: this.log,
      source: repo.source,
      status: repo.status,
      gitDir: repo.gitDir,
      io: processIo(),
    };
    const check = await checkPullRequest({ forge: this.input.forge, context, pr });
    if (!check.posted) {
      this.log.info({ pr, why: check.why }, "pull request not checked");
      return;
    }
    this.log.info(
      { pr, head: check.sha, state: check.state, why: check.description },
      "pull request checked",
    );
    for (const call of prCheckCalls(this.input.forge, check)) this.queue.enqueue(call);
  }

  private prConfig(): RepoConfig {
    const { config } = this.input;
    return config.kind === "remote" ? { ...config, dataDir: join(config.dataDir, "pr-checks") } : config;
  }

  private openPrRepo(): Promise<OpenRepository> {
    this.prRepo ??= openRepository({ config: this.prConfig(), log: this.log });
    const opening = this.prRepo;
    void opening.catch(() => {
      if (this.prRepo === opening) this.prRepo = null;
    });
    return opening;
  }
}

/** The forge part of `cfs-gitops controller`: the controller's hooks and what to close. */
export interface ControllerForge {
  hooks: { onStatusCommit?: (notice: StatusCommitNotice) => void };
  /** See ForgeServices.close. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Starts the forge services of a `--forge` configuration and plugs the pull request check into the
 * webhook receiver; without a forge, no hooks and nothing to close.
 */
export function controllerForge(input: {
  forge: ForgeConfig | null;
  repo: RepoConfig;
  log: Logger;
  services: { checkPullRequest: ((pr: number) => void) | null };
}): ControllerForge {
  if (input.forge === null) return { hooks: {}, close: () => Promise.resolve() };
  const forge = new ForgeServices({ forge: openForge(input.forge), config: input.repo, log: input.log });
  input.services.checkPullRequest = forge.checkPullRequest;
  return { hooks: { onStatusCommit: forge.onStatusCommit }, close: (graceMs) => forge.close(graceMs) };
}
