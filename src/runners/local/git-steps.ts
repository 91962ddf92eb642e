/** The `git-clone-<i>` and `git-clone-hosts` steps: real `git`, output in the step's log. */
import { join } from "node:path";
import type { AdditionalInventory, PlannedLayer, WithCloneUrl } from "../../api/index.js";
import {
  cloneHosts,
  cloneLayer,
  cloneStepName,
  updateLayer,
  type CloneIo,
  type CloneOutcome,
} from "../steps/index.js";
import { failLayer, failedStep, type LocalRun, type StepContext, type StepResult } from "./local-run.js";
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
  const io = await localCloneIo({ run, ctx, step: cloneStepName(layer.index), entry: layer });
  if ("reason" in io) return failLayer(run, ctx, layer, failedStep(io.reason));
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
  inventory: WithCloneUrl<AdditionalInventory>,
): Promise<StepResult> {
  const io = await localCloneIo({ run, ctx, step: "git-clone-hosts", entry: inventory });
  if ("reason" in io) return failedStep(io.reason);
  return stepResult(await cloneHosts(io, inventory));
}

/**
 * The environment of a clone of `entry`: through its source (the source's credentials and CA), or
 * of its clone_url (the runner's credentials, for their own server only); or why it cannot clone.
 */
async function cloneEnv(
  run: LocalRun,
  ctx: StepContext,
  input: { step: string; entry: { clone_url: string; source?: string } },
): Promise<{ env: Record<string, string> } | { reason: string }> {
  const { entry, step } = input;
  if (entry.source === undefined) return { env: ctx.git.env(entry.clone_url) };
  const source = run.spec.sources?.[entry.source];
  if (source === undefined) return { reason: `${step}: source ${entry.source} is not known to this run` };
  const access = await ctx.git.sourceEnv(entry.clone_url, source);
  return "reason" in access ? { reason: `${step}: ${access.reason}` } : access;
}

/** git as a step process of `run` cloning `entry`, its output in the step's log; or why it cannot. */
async function localCloneIo(input: {
  run: LocalRun;
  ctx: StepContext;
  step: string;
  entry: { clone_url: string; source?: string };
}): Promise<CloneIo | { reason: string }> {
  const { run, ctx, step } = input;
  const prepared = await cloneEnv(run, ctx, input);
  if ("reason" in prepared) return prepared;
  const env = prepared.env;
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
    retry: ctx.cloneRetry,
    sleep: (ms) => ctx.sleep(ms, run.abort.signal),
  };
}

function stepResult(outcome: CloneOutcome): StepResult {
  return { status: outcome.status, exitCode: outcome.exitCode, reason: outcome.reason };
}
