/**
 * Where the `cfs_chroot` connection plugin (`ansible/connection_plugins/cfs_chroot.py`) lives, and
 * the environment that puts it on ansible-playbook's plugin path. ansible-core ships no chroot
 * connection, so the project brings its own.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The connection name image hosts of the local store get (`ansible_connection`). */
export const CHROOT_CONNECTION = "cfs_chroot";

/** ansible-core's default connection plugin path, kept after ours. */
const DEFAULT_CONNECTION_PLUGINS = "~/.ansible/plugins/connection:/usr/share/ansible/plugins/connection";

const PLUGIN_RELATIVE = join("ansible", "connection_plugins");

/**
 * The directory holding `cfs_chroot.py`: the first `ansible/connection_plugins/` above this module
 * (the project root, from `src/` when testing or `dist/src/` when installed); null when absent.
 */
export function findConnectionPluginDir(from: string = fileURLToPath(import.meta.url)): string | null {
  let dir = dirname(from);
  for (;;) {
    const candidate = join(dir, PLUGIN_RELATIVE);
    if (existsSync(join(candidate, `${CHROOT_CONNECTION}.py`))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** `ANSIBLE_CONNECTION_PLUGINS` with our directory first and ansible's defaults after it. */
export function connectionPluginEnv(pluginDir: string): Record<string, string> {
  return { ANSIBLE_CONNECTION_PLUGINS: `${pluginDir}:${DEFAULT_CONNECTION_PLUGINS}` };
}
