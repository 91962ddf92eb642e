/**
 * The `inventory` step, shared by both runners: the files it writes into the work directory and
 * the lines it logs.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { RunSpec } from "../../api/index.js";
import { ansibleConfigText } from "./ansible-config.js";
import {
  CFS_DEFAULTS_INVENTORY,
  CFS_DEFAULTS_INVENTORY_PATH,
  GENERATED_INVENTORY_PATH,
  buildInventory,
} from "./build-inventory.js";
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
 * The files of the `inventory` step: `hosts/00-cfs-defaults.yaml`, `hosts/01-cfs-generated.yaml`
 * (none for `repo` targets) and
 * the session's `ansible.cfg`, or why the step fails (image targets need the image service).
 */
export function inventoryFiles(
  spec: RunSpec,
): { files: InventoryFile[]; notes: string[] } | { reason: string } {
  if (isImageTarget(spec)) return { reason: `inventory: ${IMAGE_SERVICE_MISSING}` };
  const files: InventoryFile[] = [defaultsFile()];
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

/** `hosts/00-cfs-defaults.yaml` (`cray_cfs_image: false` for every host), as every session gets it. */
export function defaultsFile(): InventoryFile {
  return {
    path: CFS_DEFAULTS_INVENTORY_PATH,
    text: CFS_DEFAULTS_INVENTORY,
    note: `wrote ${CFS_DEFAULTS_INVENTORY_PATH} (cray_cfs_image: false unless an inventory sets it)`,
  };
}

/** Where the inventory step writes, and how it logs a line. */
export interface InventoryTarget {
  spec: RunSpec;
  workDir: string;
  note(text: string): Promise<void>;
}

/** Writes the inventory step's files into the work directory; returns why it failed, or null. */
export async function writeInventoryFiles(target: InventoryTarget): Promise<string | null> {
  const planned = inventoryFiles(target.spec);
  if ("reason" in planned) return planned.reason;
  await mkdir(join(target.workDir, HOSTS_DIR), { recursive: true });
  for (const note of planned.notes) await target.note(note);
  for (const file of planned.files) {
    await writeFile(join(target.workDir, file.path), file.text);
    await target.note(file.note);
  }
  return null;
}
