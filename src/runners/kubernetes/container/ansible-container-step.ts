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
  missingAnsibleConfigReason,
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
  if ("reason" in config) return failedMessage(name, config.reason);
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
      sshKeyFile: nodeSshKeyFile(run),
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

/** Private key names looked for in the `--node-ssh-secret` mount, in order (cfs-trust issues ECDSA keys). */
export const NODE_SSH_KEY_NAMES = ["id_ecdsa", "id_ed25519", "id_rsa"] as const;

/**
 * The node session's private key in the mounted `--node-ssh-secret` (its `<key>-cert.pub`
 * certificate beside it, when the Secret has one, is what ssh offers with it); null: none mounted.
 */
function nodeSshKeyFile(run: ContainerStep): string | null {
  const dir = run.config.nodeSshKeyDir;
  if (dir === null || isImageTarget(run.spec)) return null;
  const found = NODE_SSH_KEY_NAMES.map((name) => join(dir, name)).find((path) => existsSync(path));
  return found ?? null;
}

/** Image sessions: what the image service staged for ansible (the staging file's `ansibleEnv`). */
async function imageEnv(run: ContainerStep): Promise<Record<string, string>> {
  if (!isImageTarget(run.spec)) return {};
  const staging = await readStaging(run.config.workDir);
  return staging === null ? {} : staging.ansibleEnv;
}

/**
 * The ansible.cfg of the session: the repository's (`ansible-configs/<name>.cfg`, written by the
 * inventory step), else the mounted ConfigMap's `ansible.cfg`, else the default the inventory step
 * wrote when the session uses the default config; a named config found nowhere fails the step.
 */
function ansibleConfigFile(run: ContainerStep): { path: string; from: string } | { reason: string } {
  const written = { path: join(run.config.workDir, ANSIBLE_CFG_FILE), from: ANSIBLE_CFG_FILE };
  const dir = run.config.ansibleConfigDir;
  if (run.spec.ansibleConfigText !== null) return written;
  const mounted = dir === null ? null : join(dir, ANSIBLE_CONFIG_KEY);
  if (mounted !== null && existsSync(mounted))
    return { path: mounted, from: `${mounted} (ConfigMap ${run.spec.ansibleConfig})` };
  const elsewhere = `there is no ConfigMap ${run.spec.ansibleConfig} with key ${ANSIBLE_CONFIG_KEY}`;
  const reason = missingAnsibleConfigReason({ step: run.step.name, spec: run.spec, elsewhere });
  return reason === null ? written : { reason };
}
