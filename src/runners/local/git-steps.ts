/** The `git-clone-<i>` and `git-clone-hosts` steps: real `git`, output in the step's log. */
import { join } from "node:path";
import type { AdditionalInventory, PlannedLayer } from "../../api/index.js";
import {
  cloneHosts,
  cloneLayer,
  cloneStepName,
  updateLayer,
  type CloneIo,
  type CloneOutcome,
} from "../steps/index.js";
import { failLayer, type LocalRun, type StepContext, type StepResult } from "./local-run.js";
import { appendStepLog, runStepProcess } from "./step-process.js";

/**
 * `git-clone-<i>`: resolve the layer's branch to a commit (recorded in the layer's status) when it
 * has no commit, then clone its repository into `layer<i>/` at that commit.
 */
export async function cloneLayerStep(
  run: LocalRun,
  ctx: StepContext,
  layer: PlannedLayer,
): Promise<StepResult> {
  const io = localCloneIo({ run, ctx, step: cloneStepName(layer.index), url: layer.clone_url });
  const outcome = await cloneLayer(io, layer);
  const commit = outcome.commit;
  if (commit !== null && commit !== layer.commit) {
    await ctx.save(
      run,
      updateLayer(run.obs, layer.index, (status) => ({ ...status, commit })),
    );
  }
  const result = stepResult(outcome);
  return result.status === "failed" ? failLayer(run, ctx, layer, result) : result;
}

/** `git-clone-hosts`: clone `additional_inventory` into `hosts/` at its commit, or its branch's tip. */
export async function cloneHostsStep(
  run: LocalRun,
  ctx: StepContext,
  inventory: AdditionalInventory,
): Promise<StepResult> {
  const io = localCloneIo({ run, ctx, step: "git-clone-hosts", url: inventory.clone_url });
  return stepResult(await cloneHosts(io, inventory));
}

/** git as a step process of `run` cloning `url`, its output in the step's log. */
function localCloneIo(input: { run: LocalRun; ctx: StepContext; step: string; url: string }): CloneIo {
  const { run, ctx, step } = input;
  const env = ctx.git.env(input.url);
  return {
    git: (command) =>
      runStepProcess(run, ctx, {
        step,
        command: ctx.git.command,
        args: command.args,
        cwd: command.cwd === undefined ? run.paths.work : join(run.paths.work, command.cwd),
        env,
        captureStdout: command.capture === true,
      }),
    note: (text) => appendStepLog(run, step, text),
  };
}

function stepResult(outcome: CloneOutcome): StepResult {
  return { status: outcome.status, exitCode: outcome.exitCode, reason: outcome.reason };
}
