/** Where a session's files go inside its work directory (the same layout in every runner). */
import { posix } from "node:path";
import type { PlannedLayer } from "../../api/index.js";

/** The inventory directory: additional inventory plus the generated file; ansible gets `-i hosts/`. */
export const HOSTS_DIR = "hosts/";

/** The ansible.cfg every `ansible-<i>` step runs with (`ANSIBLE_CONFIG`). */
export const ANSIBLE_CFG_FILE = "ansible.cfg";

/** The directory layer `index` is cloned into (`layer0`). */
export function layerDir(index: number): string {
  return `layer${index}`;
}

/**
 * The playbook of a layer relative to the work directory (`layer0/site.yml`), or null when the
 * playbook path is absolute or climbs out of the layer's clone.
 */
export function layerPlaybookPath(layer: Pick<PlannedLayer, "index" | "playbook">): string | null {
  if (layer.playbook === "" || posix.isAbsolute(layer.playbook)) return null;
  const normalized = posix.normalize(layer.playbook);
  if (normalized === ".." || normalized.startsWith("../")) return null;
  return posix.join(layerDir(layer.index), normalized);
}
