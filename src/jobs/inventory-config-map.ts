/**
 * The components of a dynamic session travel to its Job in a ConfigMap of their own, compressed
 * and owned by the Job (deleted with it), not in the RunSpec annotation: an annotation holds at
 * most 256 KiB, which ran out at about 1,800 components. The `inventory` container alone mounts it.
 */
import type { V1ConfigMap, V1Job } from "@kubernetes/client-node";
import type { RunSpec } from "../api/index.js";
import { COMPONENTS_FILE, MAX_CONFIG_MAP_BYTES } from "./constants.js";
import { BuildJobError } from "./errors.js";

/** Whether the session's components go in an inventory ConfigMap (a dynamic session that has some). */
export function usesInventoryConfigMap(spec: Pick<RunSpec, "components">): boolean {
  return spec.components.length > 0;
}

/** The name of the inventory ConfigMap of Job `job`. */
export function inventoryConfigMapName(job: string): string {
  return `${job}-inventory`;
}

/** What buildInventoryConfigMap needs. */
export interface InventoryConfigMapInput {
  /** The created Job (its name, namespace, uid and labels make the owner reference). */
  job: V1Job;
  /** The components JSON, gzip-compressed, base64-encoded (the caller compresses). */
  componentsGzipBase64: string;
}

/**
 * The inventory ConfigMap of a created Job: `binaryData[components.json.gz]`, owned by the Job.
 * Throws BuildJobError when the compressed components do not fit a ConfigMap (1 MiB).
 */
export function buildInventoryConfigMap(input: InventoryConfigMapInput): V1ConfigMap {
  checkInventorySize(input.componentsGzipBase64);
  const { metadata } = input.job;
  const name = metadata?.name ?? "";
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: {
      name: inventoryConfigMapName(name),
      ...(metadata?.namespace === undefined ? {} : { namespace: metadata.namespace }),
      labels: { ...(metadata?.labels ?? {}) },
      ownerReferences: [
        { apiVersion: "batch/v1", kind: "Job", name, uid: metadata?.uid ?? "", blockOwnerDeletion: false },
      ],
    },
    binaryData: { [COMPONENTS_FILE]: input.componentsGzipBase64 },
  };
}

/** Throws BuildJobError when compressed components of this size cannot be stored in a ConfigMap. */
export function checkInventorySize(componentsGzipBase64: string): void {
  const bytes = componentsGzipBase64.length;
  if (bytes <= MAX_CONFIG_MAP_BYTES) return;
  throw new BuildJobError(
    "inventory-too-large",
    `the components of the session need ${bytes} bytes compressed; a ConfigMap holds at most ${MAX_CONFIG_MAP_BYTES}`,
    { bytes, limit: MAX_CONFIG_MAP_BYTES },
  );
}
