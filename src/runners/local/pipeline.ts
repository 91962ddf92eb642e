/** The pipeline of one session (DESIGN.md 2.4): its steps in order, stopping at the first failure. */
import { completeRun, endStep, planSteps, startRun, startStep, type PlannedStep } from "../steps/index.js";
import { cloneHostsStep, cloneLayerStep } from "./git-steps.js";
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
    const result = await runStep(run, ctx, step);
    if (run.stopped) return;
    await ctx.save(run, endStep(run.obs, step.name, { ...result, now: ctx.stamp() }));
    if (result.status === "failed") failure ??= result.reason ?? `${step.name} failed`;
  }
  const succeeded = failure === null ? "true" : "false";
  await ctx.save(run, completeRun(run.obs, { succeeded, reason: failure, now: ctx.stamp() }));
}

/** One step; an unexpected error (a full disk, say) fails the step with its message. */
async function runStep(run: LocalRun, ctx: StepContext, step: PlannedStep): Promise<StepResult> {
  try {
    return await dispatch(run, ctx, step);
  } catch (error) {
    ctx.log.error({ err: error, job: run.spec.job, step: step.name }, "step failed unexpectedly");
    return failedStep(`${step.name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function dispatch(run: LocalRun, ctx: StepContext, step: PlannedStep): Promise<StepResult> {
  switch (step.kind) {
    case "git-clone":
      return cloneLayerStep(run, ctx, step.layer);
    case "git-clone-hosts":
      return cloneHostsStep(run, ctx, step.inventory);
    case "inventory":
      return inventoryStep(run);
    case "ansible":
      return ansibleStep(run, ctx, step.layer);
    case "teardown":
      // Only image targets have a teardown; with no image service nothing was staged to tear down.
      return Promise.resolve({ status: "skipped", exitCode: null, reason: null });
  }
}
