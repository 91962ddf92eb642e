/** The `inventory` and `ansible-<i>` steps of the local runner. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PlannedLayer } from "../../api/index.js";
import {
  ANSIBLE_CFG_FILE,
  GENERATED_INVENTORY_PATH,
  HOSTS_DIR,
  IMAGE_SERVICE_MISSING,
  ansibleArgv,
  ansibleConfigText,
  ansibleEnv,
  ansibleStepName,
  buildInventory,
  isImageTarget,
  layerFailureReason,
  layerPlaybookPath,
  parseRecap,
  updateLayer,
} from "../steps/index.js";
import { failLayer, failedStep, type LocalRun, type StepContext, type StepResult } from "./local-run.js";
import { appendStepLog, runStepProcess } from "./step-process.js";

/**
 * `inventory`: write `hosts/01-cfs-generated.yaml` (nothing for `repo` targets) and the session's
 * ansible.cfg. Image targets need the image service to stage their roots; without one they fail here.
 */
export async function inventoryStep(run: LocalRun): Promise<StepResult> {
  if (isImageTarget(run.spec)) return failedStep(`inventory: ${IMAGE_SERVICE_MISSING}`);
  const hostsDir = join(run.paths.work, HOSTS_DIR);
  await mkdir(hostsDir, { recursive: true });
  const inventory = buildInventory(run.spec);
  if (inventory === null) {
    await appendStepLog(
      run,
      "inventory",
      `target definition repo: no inventory generated; ${HOSTS_DIR} is used as cloned`,
    );
  } else {
    await writeFile(join(run.paths.work, GENERATED_INVENTORY_PATH), inventory);
    await appendStepLog(run, "inventory", `wrote ${GENERATED_INVENTORY_PATH}:\n${inventory}`);
  }
  await writeFile(join(run.paths.work, ANSIBLE_CFG_FILE), ansibleConfigText(run.spec));
  const from =
    run.spec.ansibleConfigText === null ? "the default" : `ansible-configs/${run.spec.ansibleConfig}.cfg`;
  await appendStepLog(run, "inventory", `wrote ${ANSIBLE_CFG_FILE} from ${from}`);
  return { status: "succeeded", exitCode: null, reason: null };
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
    env: ansibleEnv(ctx.ansible.env, join(run.paths.work, ANSIBLE_CFG_FILE)),
  });
  const recap = parseRecap(exit.output);
  const ok = exit.exitCode === 0;
  const reason = ok
    ? null
    : exit.error !== null
      ? `${step}: could not run ansible-playbook: ${exit.error}`
      : layerFailureReason(layer, exit, recap, exit.output);
  await ctx.save(
    run,
    updateLayer(run.obs, layer.index, (status) => ({
      ...status,
      status: ok ? "succeeded" : "failed",
      exit_code: exit.exitCode,
      recap: recap.hosts,
      failed_hosts: recap.failedHosts,
      unreachable_hosts: recap.unreachableHosts,
    })),
  );
  return { status: ok ? "succeeded" : "failed", exitCode: exit.exitCode, reason };
}

/** The command and argv of an ansible step, or why it cannot run. */
async function prepareAnsible(
  run: LocalRun,
  ctx: StepContext,
  layer: PlannedLayer,
): Promise<{ command: string; argv: string[] } | { reason: string }> {
  const step = ansibleStepName(layer.index);
  const playbook = layerPlaybookPath(layer);
  if (playbook === null) {
    return { reason: `${step}: playbook ${layer.playbook} is not a path inside the layer's repository` };
  }
  const command = await ctx.ansible.find();
  if (command === null) return { reason: `${step}: ${ctx.ansible.missingReason}` };
  const ansible = run.spec.session.ansible ?? {};
  const passthrough = ctx.parsePassthrough(ansible.passthrough ?? "");
  if (!passthrough.ok) return { reason: `${step}: ansible.passthrough: ${passthrough.message}` };
  const argv = ansibleArgv({
    playbook,
    inventoryDir: HOSTS_DIR,
    limit: ansible.limit ?? null,
    verbosity: ansible.verbosity ?? 0,
    passthrough: passthrough.argv,
  });
  return { command, argv };
}
