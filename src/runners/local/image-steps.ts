/**
 * The image path of the local runner: `inventory` stages the session's images with the image
 * service, `teardown` finishes them and records the artifacts, and removing a run cleans up what
 * it staged (IMS jobs and keys, local work copies), even a run a previous controller left.
 */
import { join } from "node:path";
import type { Logger } from "pino";
import { ensureSessionKey } from "../../images/ssh.js";
import type { ImageService, SessionKey } from "../../images/types.js";
import {
  IMAGE_SERVICE_MISSING,
  SESSION_KEY_DIR,
  cleanupStagedImages,
  runImageInventory,
  runImageTeardown,
  stagedJobIds,
} from "../steps/index.js";
import { failedStep, succeededStep, type LocalRun, type StepContext, type StepResult } from "./local-run.js";
import { appendStepLog } from "./step-process.js";

/** `inventory` of an image session: stage the images, then write the inventory that reaches them. */
export async function imageInventoryStep(run: LocalRun, ctx: StepContext): Promise<StepResult> {
  const service = ctx.images;
  if (service === null) return failedStep(`inventory: ${IMAGE_SERVICE_MISSING}`);
  const sshKey = service.kind === "ims" ? await sessionKey(run) : null;
  const result = await runImageInventory({
    spec: run.spec,
    workDir: run.paths.work,
    service,
    sshKey,
    signal: run.abort.signal,
    note: (text) => appendStepLog(run, "inventory", text),
    onStaging: async (staging) => {
      run.ansibleExtraEnv = staging.ansibleEnv;
      const jobs = stagedJobIds(staging);
      if (jobs.length > 0) await ctx.save(run, { ...run.obs, imsJob: jobs[0] ?? "", imsJobs: jobs });
    },
  });
  return result.reason === null ? succeededStep() : failedStep(result.reason);
}

/**
 * `teardown`: tell the image service whether the layers succeeded, record the result images as
 * the session's artifacts, and clean up. Without an image service nothing was staged: skipped.
 */
export async function imageTeardownStep(
  run: LocalRun,
  ctx: StepContext,
  succeeded: boolean,
): Promise<StepResult> {
  const service = ctx.images;
  if (service === null) return { status: "skipped", exitCode: null, reason: null };
  const result = await runImageTeardown({
    spec: run.spec,
    workDir: run.paths.work,
    service,
    signal: run.abort.signal,
    succeeded,
    note: (text) => appendStepLog(run, "teardown", text),
  });
  if (result.artifacts.length > 0) await ctx.save(run, { ...run.obs, artifacts: result.artifacts });
  if (!result.staged) return { status: "skipped", exitCode: null, reason: null };
  return result.reason === null ? succeededStep() : failedStep(result.reason);
}

/**
 * Clean up what a run staged (from its work directory), before the run directory is removed.
 * Throws when the service could not: the run directory stays, and the controller's next removal
 * of the run tries again, so no IMS job or key is left behind for good.
 */
export async function cleanupRunImages(input: {
  workDir: string;
  service: ImageService | null;
  log: Logger;
  job: string;
}): Promise<void> {
  if (input.service === null) return;
  if (await cleanupStagedImages({ workDir: input.workDir, service: input.service }))
    input.log.info({ job: input.job }, "cleaned up the images the run had staged");
}

/** The run's SSH key pair (made once, in the work directory, readable only by us). */
function sessionKey(run: LocalRun): Promise<SessionKey> {
  return ensureSessionKey({
    dir: join(run.paths.work, SESSION_KEY_DIR),
    comment: `cfs-gitops ${run.spec.job}`,
  });
}
