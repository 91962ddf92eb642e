/** The pipeline of one session (DESIGN.md 2.4): its steps in order, stopping at the first failure. */
import {
  completeRun,
  endStep,
  isImageTarget,
  planSteps,
  startRun,
  startStep,
  type PlannedStep,
} from "../steps/index.js";
import { cloneHostsStep, cloneLayerStep } from "./git-steps.js";
import { imageInventoryStep, imageTeardownStep } from "./image-steps.js";
import { failedStep, type LocalRun, type StepContext, type StepResult } from "./local-run.js";
import { ansibleStep, inventoryStep } from "./session-steps.js";

/**
 * Run every step of `run` in order and record each in its observation. After a failed step the
 * steps that follow are skipped (`teardown` of image targets still runs), and the run completes
 * with succeeded false and the failed step's reason. A stopped run (removed, or the runner closed)
 * ends where it is, writing nothing more.
 */
export async function runPipeline(run: LocalRun, ctx: StepContext): Promise<void> {
  await ctx.save(run, startRun(run.obs, ctx.stamp()));
  let failure: string | null = null;
  for (const step of planSteps(run.spec)) {
    if (run.stopped) return;
    if (failure !== null && step.kind !== "teardown") continue;
    await ctx.save(run, startStep(run.obs, step.name, ctx.stamp()));
    const result = await runStep({ run, ctx, step, failed: failure !== null });
    if (run.stopped) return;
    await ctx.save(run, endStep(run.obs, step.name, { ...result, now: ctx.stamp() }));
    if (result.status === "failed") failure ??= result.reason ?? `${step.name} failed`;
  }
  const succeeded = failure === null ? "true" : "false";
  await ctx.save(run, completeRun(run.obs, { succeeded, reason: failure, now: ctx.stamp() }));
}

/** One step; an unexpected error (a full disk, say) fails the step with its message. */
async function runStep(input: StepInput): Promise<StepResult> {
  const { run, ctx, step } = input;
  try {
    return await dispatch(input);
  } catch (error) {
    ctx.log.error({ err: error, job: run.spec.job, step: step.name }, "step failed unexpectedly");
    return failedStep(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** One step to run, and whether a step before it failed (teardown needs to know). */
interface StepInput {
  run: LocalRun;
  ctx: StepContext;
  step: PlannedStep;
  failed: boolean;
}

function dispatch(input: StepInput): Promise<StepResult> {
  const { run, ctx, step } = input;
  switch (step.kind) {
    case "git-clone":
      return cloneLayerStep(run, ctx, step.layer);
    case "git-clone-hosts":
      return cloneHostsStep(run, ctx, step.inventory);
    case "inventory":
      return isImageTarget(run.spec) ? imageInventoryStep(run, ctx) : inventoryStep(run);
    case "ansible":
      return ansibleStep(run, ctx, step.layer);
    case "teardown":
      // Only image targets have a teardown; it runs after a failure too, to finish what was staged.
      return imageTeardownStep(run, ctx, !input.failed);
  }
}
