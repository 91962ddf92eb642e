/** The ansible.cfg and environment of every `ansible-<i>` step. */

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
