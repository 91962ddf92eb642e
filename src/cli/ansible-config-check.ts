/**
 * `sessions create --ansible-config NAME` must name a config that exists, as the controller will
 * look for it: `ansible-configs/<NAME>.cfg` in the configuration repository, or CFS's built-in
 * default. Caught when the session is created, not when it fails at run time.
 */
import { ansibleConfigNameOfPath, ansibleConfigPath, DEFAULT_ANSIBLE_CONFIG } from "../api/index.js";
import type { ConfigSource } from "../git/types.js";
import { CliError } from "./errors.js";
import { nameList } from "./name-list.js";

/** Refuses (exit 2) an ansible config name that the repository at `commit` does not have. */
export async function assertAnsibleConfigExists(input: {
  source: Pick<ConfigSource, "diff">;
  commit: string;
  name: string | undefined;
}): Promise<void> {
  const { name } = input;
  if (name === undefined || name === "" || name === DEFAULT_ANSIBLE_CONFIG) return;
  const configs = (await input.source.diff(null, input.commit))
    .map((file) => ansibleConfigNameOfPath(file.path))
    .filter((config): config is string => config !== null)
    .sort();
  if (configs.includes(name)) return;
  const known = configs.length > 0 ? `name one of ${nameList(configs)}, or` : "or use";
  throw new CliError(
    `--ansible-config ${name}: the repository has no ${ansibleConfigPath(name)} (CFS would fail the session): add it, ${known} the default ${DEFAULT_ANSIBLE_CONFIG} (a ConfigMap of the cluster: add --ansible-config-in-cluster)`,
    2,
  );
}
