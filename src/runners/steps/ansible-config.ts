/** The ansible.cfg and environment of every `ansible-<i>` step. */
import { DEFAULT_ANSIBLE_CONFIG, ansibleConfigPath } from "../../api/index.js";

/** The ansible.cfg used when the configuration repository has no `ansible-configs/<name>.cfg`. */
export const DEFAULT_ANSIBLE_CFG = [
  "# Written by cfs-gitops: the repository has no ansible-configs/<name>.cfg for this session.",
  "[defaults]",
  "host_key_checking = False",
  "retry_files_enabled = False",
  "stdout_callback = default",
  "",
].join("\n");

/** The ansible.cfg text of a session: the repository's, else the default. */
export function ansibleConfigText(spec: { ansibleConfigText: string | null }): string {
  return spec.ansibleConfigText ?? DEFAULT_ANSIBLE_CFG;
}

/**
 * Why a session cannot run when its ansible.cfg is missing, or null. Only the built-in default
 * (`cfs-default-ansible-cfg`, which CFS always has) may be absent and fall back to
 * DEFAULT_ANSIBLE_CFG; a config the session (or Options.default_ansible_config) names must exist,
 * as in CFS, where the session fails when its ConfigMap is missing. `elsewhere` names the other
 * place that was looked at (the ConfigMap, on Kubernetes).
 */
export function missingAnsibleConfigReason(input: {
  step: string;
  spec: { ansibleConfig: string; ansibleConfigText: string | null };
  elsewhere?: string;
}): string | null {
  const { ansibleConfig, ansibleConfigText } = input.spec;
  if (ansibleConfigText !== null || ansibleConfig === "" || ansibleConfig === DEFAULT_ANSIBLE_CONFIG)
    return null;
  const where = input.elsewhere === undefined ? "" : ` and ${input.elsewhere}`;
  return `${input.step}: ansible config "${ansibleConfig}" does not exist: the repository has no ${ansibleConfigPath(ansibleConfig)}${where} (CFS fails the session too): add that file, or name an existing config in ansible.config (empty uses ${DEFAULT_ANSIBLE_CONFIG})`;
}

/**
 * The environment of ansible-playbook: `base` plus `ANSIBLE_CONFIG`, colours off (logs are files
 * and the PLAY RECAP is parsed), and unbuffered Python so a log shows each task as it happens.
 */
export function ansibleEnv(
  base: Readonly<Record<string, string | undefined>>,
  configPath: string,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(base)) if (value !== undefined) env[key] = value;
  return {
    ...env,
    ANSIBLE_CONFIG: configPath,
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_FORCE_COLOR: "0",
    PYTHONUNBUFFERED: "1",
  };
}
