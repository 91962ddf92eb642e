/** The pipeline of one session (DESIGN.md 2.4): its steps in order, stopping at the first failure. */
import {
  RESTARTED,
  completeRun,
  endStep,
  isImageTarget,
  planSteps,
  startRun,
  startStep,
  type PlannedStep,
} from "../steps/index.js";
import { waitForDebug } from "./debug-wait.js";
import { cloneHostsStep, cloneLayerStep } from "./git-steps.js";
import { imageInventoryStep, imageTeardownStep } from "./image-steps.js";
import { failedStep, type LocalRun, type StepContext, type StepResult } from "./local-run.js";
import { adoptAnsibleStep, resetStep } from "./resume-step.js";
import { ansibleStep, inventoryStep, recordAnsibleExit } from "./session-steps.js";
import { failureMessage } from "../../api/errors.js";

/**
 * Run every step of `run` in order and record each in its observation. After a failed step the
 * steps that follow are skipped (`teardown` of image targets still runs), and the run completes
 * with succeeded false and the failed step's reason. A stopped run (removed, or the runner closed)
 * ends where it is, writing nothing more. A run a previous controller left (see LocalRunner.adopt) goes
 * on from its state: steps that ended are kept, the step it left running is adopted or run again.
 */
export async function runPipeline(run: LocalRun, ctx: StepContext): Promise<void> {
  if (run.obs.phase === "pending") await ctx.save(run, startRun(run.obs, ctx.stamp()));
  for (const step of planSteps(run.spec)) {
    if (run.stopped) return;
    const prior = run.obs.steps.find((s) => s.name === step.name)?.status ?? "pending";
    if (!isToRun(run, { step, prior })) continue;
    const input = { run, ctx, step, failed: run.failure !== null };
    const result = prior === "running" ? await resumeStep(input) : await freshStep(input);
    if (run.stopped) return;
    if (result === "unknown") {
      await ctx.save(
        run,
        completeRun(run.obs, { succeeded: "unknown", reason: RESTARTED, now: ctx.stamp() }),
      );
      return;
    }
    await endPipelineStep(input, result);
  }
  const failure = run.failure;
  const succeeded = failure === null ? "true" : "false";
  await ctx.save(run, completeRun(run.obs, { succeeded, reason: failure, now: ctx.stamp() }));
}

/** Whether a step is still to run: not ended (before a restart), and not skipped after a failure. */
function isToRun(run: LocalRun, input: { step: PlannedStep; prior: string }): boolean {
  if (input.prior !== "pending" && input.prior !== "running") return false;
  return run.failure === null || input.step.kind === "teardown";
}

/** Record how a step ended; the run's failure is kept with it (state.json), before the next step. */
async function endPipelineStep(input: StepInput, result: StepResult): Promise<void> {
  const { run, ctx, step } = input;
  if (result.status === "failed") run.failure ??= result.reason ?? `${step.name} failed`;
  await ctx.save(run, endStep(run.obs, step.name, { ...result, now: ctx.stamp() }));
  // As in CFS, a failed playbook (not a failed clone) holds the environment when debug_on_failure.
  if (result.status === "failed" && step.kind === "ansible") await waitForDebug(run, ctx, step.name);
}

/** A step not begun yet: record its start, then run it. */
async function freshStep(input: StepInput): Promise<StepResult> {
  const { run, ctx, step } = input;
  await ctx.save(run, startStep(run.obs, step.name, ctx.stamp()));
  return runStep(input);
}

/**
 * The step a previous controller left running: an ansible step is adopted (its real end, or
 * "unknown" when it was killed before its exit was recorded); any other step runs again.
 */
async function resumeStep(input: StepInput): Promise<StepResult | "unknown"> {
  const { run, ctx, step } = input;
  if (step.kind !== "ansible") {
    await resetStep(run, ctx, step);
    return runStep(input);
  }
  const adopted = await adoptAnsibleStep(run, ctx, step.name);
  switch (adopted.kind) {
    case "not-run":
      return runStep(input);
    case "unknown":
      return "unknown";
    case "stopped":
      return failedStep(`${step.name}: stopped`);
    case "ended":
      return recordAnsibleExit(run, ctx, { layer: step.layer, exit: adopted.exit });
  }
}

/** One step; an unexpected error (a full disk, say) fails the step with its message. */
async function runStep(input: StepInput): Promise<StepResult> {
  const { run, ctx, step } = input;
  try {
    return await dispatch(input);
  } catch (error) {
    ctx.log.error({ err: error, job: run.spec.job, step: step.name }, "step failed unexpectedly");
    return failedStep(`${step.name}: ${failureMessage(error)}`);
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
