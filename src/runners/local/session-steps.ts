/** The `inventory` and `ansible-<i>` steps of the local runner. */
import { join } from "node:path";
import type { PlannedLayer } from "../../api/index.js";
import {
  ANSIBLE_CFG_FILE,
  ansibleStepEnv,
  ansibleOutcome,
  ansibleRunArgv,
  missingAnsibleConfigReason,
  ansibleStepName,
  checkPassthroughFiles,
  checkPlaybookInClone,
  updateLayer,
  type AnsibleExit,
  writeInventoryFiles,
} from "../steps/index.js";
import {
  failLayer,
  failedStep,
  succeededStep,
  type LocalRun,
  type StepContext,
  type StepResult,
} from "./local-run.js";
import { appendStepLog, runStepProcess } from "./step-process.js";

/**
 * `inventory`: write `hosts/01-cfs-generated.yaml` (nothing for `repo` targets) and the session's
 * ansible.cfg. Image targets need the image service to stage their roots; without one they fail here.
 */
export async function inventoryStep(run: LocalRun): Promise<StepResult> {
  const missing = missingAnsibleConfigReason({ step: "inventory", spec: run.spec });
  if (missing !== null) return failedStep(missing);
  const failure = await writeInventoryFiles({
    spec: run.spec,
    workDir: run.paths.work,
    note: (text) => appendStepLog(run, "inventory", text),
  });
  if (failure !== null) return failedStep(failure);
  return succeededStep();
}

/**
 * `ansible-<i>`: run `ansible-playbook` on layer i's playbook and record its exit code, PLAY RECAP,
 * and failed and unreachable hosts in the layer's status.
 */
export async function ansibleStep(run: LocalRun, ctx: StepContext, layer: PlannedLayer): Promise<StepResult> {
  const step = ansibleStepName(layer.index);
  const prepared = await prepareAnsible(run, ctx, layer);
  if ("reason" in prepared) return failLayer(run, ctx, layer, failedStep(prepared.reason));
  await ctx.save(
    run,
    updateLayer(run.obs, layer.index, (status) => ({ ...status, status: "running" })),
  );
  const exit = await runStepProcess(run, ctx, {
    step,
    command: prepared.command,
    args: prepared.argv,
    cwd: run.paths.work,
    env: ansibleStepEnv({
      base: ctx.ansible.env,
      spec: run.spec,
      layer,
      configPath: join(run.paths.work, ANSIBLE_CFG_FILE),
      imageEnv: run.ansibleExtraEnv,
      sshKeyFile: ctx.ansible.sshKey,
    }),
  });
  return recordAnsibleExit(run, ctx, { layer, exit });
}

/**
 * Record how layer `layer`'s ansible-playbook ended (exit code, PLAY RECAP, failed and unreachable
 * hosts), whether this controller saw it end or read it from disk after a restart.
 */
export async function recordAnsibleExit(
  run: LocalRun,
  ctx: StepContext,
  input: { layer: PlannedLayer; exit: AnsibleExit },
): Promise<StepResult> {
  const { layer } = input;
  const outcome = ansibleOutcome(layer, input.exit);
  await ctx.save(
    run,
    updateLayer(run.obs, layer.index, (status) => ({ ...status, status: outcome.status, ...outcome.layer })),
  );
  return { status: outcome.status, exitCode: outcome.exitCode, reason: outcome.reason };
}

/** The command and argv of an ansible step, or why it cannot run. */
async function prepareAnsible(
  run: LocalRun,
  ctx: StepContext,
  layer: PlannedLayer,
): Promise<{ command: string; argv: string[] } | { reason: string }> {
  const prepared = ansibleRunArgv({
    layer,
    session: run.spec.session,
    parsePassthrough: ctx.parsePassthrough,
  });
  if ("reason" in prepared) return prepared;
  const refused =
    (await checkPlaybookInClone({ workDir: run.paths.work, layer })) ??
    (await checkPassthroughFiles({
      step: ansibleStepName(layer.index),
      passthrough: prepared.passthrough,
      workDir: run.paths.work,
      layers: run.spec.layers,
    }));
  if (refused !== null) return { reason: refused };
  const command = await ctx.ansible.find();
  if (command === null) return { reason: `${ansibleStepName(layer.index)}: ${ctx.ansible.missingReason}` };
  return { command, argv: prepared.argv };
}
