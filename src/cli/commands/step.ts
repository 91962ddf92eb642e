/** `cfs-gitops step <name>`: the entrypoint of every container of a session's Kubernetes Job. */
import { access, constants } from "node:fs/promises";
import type { Command } from "commander";
import { ImsApi, createImsClient, createSshRunner, type ImageService } from "../../images/index.js";
import { realSleep } from "../../git/sleep.js";
import { ENV, RUN_SPEC_PATH, WORK_DIR } from "../../jobs/index.js";
import {
  IMS_CLEANUP_STEP,
  STEP_KINDS,
  resolveImsCleanupConfig,
  resolveStepConfig,
  runContainerStep,
  runImsCleanup,
  type StepConfig,
} from "../../runners/kubernetes/container/index.js";
import { stepBaseEnv } from "../../runners/steps/index.js";
import { ConfigError } from "../config.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { failureMessage } from "../../api/errors.js";

/** Registers `step`. */
export function registerStep(program: Command, io: CliIo = processIo()): void {
  program
    .command("step <name>")
    .description(
      "run one step of a session inside its Kubernetes Job (the entrypoint of the Job's containers)",
    )
    .option("--layer <index>", "the layer's index in the configuration (git-clone and ansible steps)")
    .addHelpText(
      "after",
      `
Steps: ${STEP_KINDS.join(", ")}; and ${IMS_CLEANUP_STEP}, the container of the Job that removes
what a deleted image session left in IMS (its jobs and public key) when its teardown never ran.
The Job the kubernetes runner creates mounts the run spec at ${RUN_SPEC_PATH} and the work folder
at ${WORK_DIR}, and sets the environment a step reads (${ENV.jobLayout}, ...); git credentials
come from the Secret named by --git-credentials-secret and are never logged. Every step but the
last records its result and exits 0; later steps skip themselves after a failure; the last
(report, or teardown for image targets) exits 1 when any step failed. In the cfs layout (--job-layout cfs, ${ENV.jobLayout}=cfs)
git-clone and ansible take no --layer: each does every layer, framing each in its log, and ansible
is the last container of a node session.

Example (what the Job runs for layer 2):
  cfs-gitops step ansible --layer 2`,
    )
    .action(async (name: string, flags: { layer?: string }) => {
      await runStepCommand({ name, flags, io });
    });
}

/** Runs the step; a container that must fail (the last one, after a failure) throws CliError. */
async function runStepCommand(input: { name: string; flags: { layer?: string }; io: CliIo }): Promise<void> {
  const { io } = input;
  if (input.name === IMS_CLEANUP_STEP) {
    await runImsCleanupCommand(io);
    return;
  }
  const config = resolveStepConfig({ kind: input.name, ...input.flags, env: io.env });
  if ("error" in config) throw new ConfigError(config.error);
  await requireRunSpec(config.runSpecFile);
  const abort = new AbortController();
  const stop = (): void => abort.abort();
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  try {
    const end = await runContainerStep({
      config,
      env: childEnv(io.env),
      out: io.stdout,
      signal: abort.signal,
      images: imsService(config),
    });
    if (end.exitCode !== 0) {
      const reason = end.message.reason ?? "see the log above";
      throw new CliError(`${config.name}: the session failed: ${reason}`, end.exitCode);
    }
  } finally {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
  }
}

/** A step outside a session Job (no run spec mounted) stops at once with one line. */
async function requireRunSpec(path: string): Promise<void> {
  try {
    await access(path, constants.R_OK);
  } catch {
    throw new ConfigError(
      `no run spec at ${path}: steps run inside the Jobs the kubernetes runner creates (${ENV.runSpecFile} moves it)`,
    );
  }
}

/** `step ims-cleanup`: exits non-zero (so its Job retries) when IMS could not be cleaned up. */
async function runImsCleanupCommand(io: CliIo): Promise<void> {
  const config = resolveImsCleanupConfig(io.env);
  if ("error" in config) throw new ConfigError(config.error);
  const token = config.token;
  const api = new ImsApi({
    baseUrl: config.url,
    ...(token === null ? {} : { token: () => Promise.resolve(token) }),
  });
  try {
    await runImsCleanup({ config, api, out: io.stdout, sleep: (ms) => realSleep(ms) });
  } catch (error) {
    const reason = failureMessage(error);
    throw new CliError(`${IMS_CLEANUP_STEP}: ${reason}`, 1);
  }
}

/** The IMS client of an image step (`inventory`, `teardown`), or null when the Job gives no IMS endpoint. */
function imsService(config: Readonly<StepConfig>): ImageService | null {
  const ims = config.ims;
  if (ims === null) return null;
  const token = ims.token;
  const api = new ImsApi({
    baseUrl: ims.url,
    ...(token === null ? {} : { token: () => Promise.resolve(token) }),
  });
  return createImsClient({
    api,
    ssh: createSshRunner(),
    connection: ims.sshNetwork,
    timeouts: ims.timeouts,
    ...(ims.sshUser === null ? {} : { sshUser: ims.sshUser }),
    ...(ims.pollMs === null ? {} : { pollMs: ims.pollMs }),
  });
}

/**
 * The environment of the programs a step runs: the minimal one of stepBaseEnv taken from the
 * container's, plus the names the Job allows (`CFS_STEP_ENV`); never the Job's credential variables.
 */
function childEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const allow = (env[ENV.stepEnv] ?? "").split(",").filter((name) => name !== "");
  return stepBaseEnv({ from: env, allow });
}
