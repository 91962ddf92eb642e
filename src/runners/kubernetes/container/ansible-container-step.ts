/**
 * The `ansible-<i>` container: ansible-playbook on layer i's playbook in the Ansible image, its
 * output in the container log, its exit code, PLAY RECAP and failed hosts in the step's message.
 * A failed playbook still exits 0: the result is recorded and the later layers skip themselves.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { ANSIBLE_CONFIG_KEY, isImageTarget, stepMessage, type StepMessage } from "../../../jobs/index.js";
import { parsePassthrough } from "../../../manifest/passthrough.js";
import {
  ANSIBLE_CFG_FILE,
  ansibleMissing,
  ansibleOutcome,
  ansibleRunArgv,
  ansibleStepEnv,
  checkPassthroughFiles,
  checkPlaybookInClone,
  readStaging,
  recapTotals,
} from "../../steps/index.js";
import { findExecutable } from "../../local/find-executable.js";
import { runContainerProcess } from "./container-process.js";
import { failedMessage, logLine, type ContainerStep } from "./container-step.js";

/** Runs the layer's playbook and returns the step's message. */
export async function runAnsibleLayer(run: ContainerStep): Promise<StepMessage> {
  const name = run.step.name;
  const layer = run.spec.layers.find((l) => l.index === run.step.layer);
  if (layer === undefined) return failedMessage(name, `${name}: no such layer`);
  const prepared = ansibleRunArgv({ layer, session: run.spec.session, parsePassthrough });
  if ("reason" in prepared) return failedMessage(name, prepared.reason);
  const refused =
    (await checkPlaybookInClone({ workDir: run.config.workDir, layer })) ??
    (await checkPassthroughFiles({
      step: name,
      passthrough: prepared.passthrough,
      workDir: run.config.workDir,
      layers: run.spec.layers,
    }));
  if (refused !== null) return failedMessage(name, refused);
  const command = await findExecutable({ name: "ansible-playbook", pathEnv: run.env["PATH"] ?? "" });
  if (command === null) return failedMessage(name, `${name}: ${ansibleMissing()}`);
  const config = ansibleConfigFile(run);
  await logLine(run.out, `using ${config.from}`);
  const exit = await runContainerProcess({
    command,
    args: prepared.argv,
    cwd: run.config.workDir,
    env: ansibleStepEnv({
      base: run.env,
      spec: run.spec,
      layer,
      configPath: config.path,
      imageEnv: await imageEnv(run),
    }),
    out: run.out,
    ...(run.signal === undefined ? {} : { signal: run.signal }),
  });
  const outcome = ansibleOutcome(layer, exit);
  return stepMessage({
    step: name,
    status: outcome.status,
    exit_code: outcome.exitCode,
    reason: outcome.reason,
    recap: recapTotals(outcome.layer.recap),
    hosts: outcome.layer.recap,
    failed_hosts: outcome.layer.failed_hosts,
    unreachable_hosts: outcome.layer.unreachable_hosts,
  });
}

/** Image sessions: what the image service staged for ansible (the staging file's `ansibleEnv`). */
async function imageEnv(run: ContainerStep): Promise<Record<string, string>> {
  if (!isImageTarget(run.spec)) return {};
  const staging = await readStaging(run.config.workDir);
  return staging === null ? {} : staging.ansibleEnv;
}

/**
 * The ansible.cfg of the session: the repository's (`ansible-configs/<name>.cfg`, written by the
 * inventory step), else the mounted ConfigMap's `ansible.cfg`, else the default the inventory step wrote.
 */
function ansibleConfigFile(run: ContainerStep): { path: string; from: string } {
  const written = { path: join(run.config.workDir, ANSIBLE_CFG_FILE), from: ANSIBLE_CFG_FILE };
  const dir = run.config.ansibleConfigDir;
  if (run.spec.ansibleConfigText !== null || dir === null) return written;
  const mounted = join(dir, ANSIBLE_CONFIG_KEY);
  if (!existsSync(mounted)) return written;
  return { path: mounted, from: `${mounted} (ConfigMap ${run.spec.ansibleConfig})` };
}
