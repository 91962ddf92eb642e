/**
 * The `inventory` step, shared by both runners: the files it writes into the work directory and
 * the lines it logs. The runner writes them.
 */
import type { RunSpec } from "../../api/index.js";
import { ansibleConfigText } from "./ansible-config.js";
import { GENERATED_INVENTORY_PATH, buildInventory } from "./build-inventory.js";
import { IMAGE_SERVICE_MISSING } from "./reasons.js";
import { isImageTarget } from "./step-names.js";
import { ANSIBLE_CFG_FILE, HOSTS_DIR } from "./work-layout.js";

/** A file to write, relative to the work directory, and the log line that says so. */
export interface InventoryFile {
  path: string;
  text: string;
  note: string;
}

/**
 * The files of the `inventory` step: `hosts/01-cfs-generated.yaml` (none for `repo` targets) and
 * the session's `ansible.cfg`, or why the step fails (image targets need the image service).
 */
export function inventoryFiles(
  spec: RunSpec,
): { files: InventoryFile[]; notes: string[] } | { reason: string } {
  if (isImageTarget(spec)) return { reason: `inventory: ${IMAGE_SERVICE_MISSING}` };
  const files: InventoryFile[] = [];
  const notes: string[] = [];
  const inventory = buildInventory(spec);
  if (inventory === null) {
    notes.push(`target definition repo: no inventory generated; ${HOSTS_DIR} is used as cloned`);
  } else {
    files.push({
      path: GENERATED_INVENTORY_PATH,
      text: inventory,
      note: `wrote ${GENERATED_INVENTORY_PATH}:\n${inventory}`,
    });
  }
  const from = spec.ansibleConfigText === null ? "the default" : `ansible-configs/${spec.ansibleConfig}.cfg`;
  files.push({
    path: ANSIBLE_CFG_FILE,
    text: ansibleConfigText(spec),
    note: `wrote ${ANSIBLE_CFG_FILE} from ${from}`,
  });
  return { files, notes };
}
