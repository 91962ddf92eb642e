/** Creates the inventory ConfigMap of a dynamic session's Job (see jobs/inventory-config-map.ts). */
import { gzipSync } from "node:zlib";
import type { BatchV1Api, CoreV1Api, V1Job } from "@kubernetes/client-node";
import type { RunSpec } from "../../api/index.js";
import { buildInventoryConfigMap, checkInventorySize } from "../../jobs/index.js";
import { apiError, apiStatus } from "./api-errors.js";

/**
 * The components of `spec` as the inventory ConfigMap holds them: JSON, gzip, base64. Throws
 * BuildJobError (before anything is created) when they do not fit a ConfigMap.
 */
export function compressComponents(spec: Pick<RunSpec, "components">): string {
  const data = gzipSync(JSON.stringify(spec.components), { level: 9 }).toString("base64");
  checkInventorySize(data);
  return data;
}

/** What ensureInventoryConfigMap needs. */
export interface EnsureInventoryInput {
  core: CoreV1Api;
  batch: BatchV1Api;
  namespace: string;
  /** The Job just created, or null when it existed already (it is read, for its uid). */
  created: V1Job | null;
  job: string;
  componentsGzipBase64: string;
}

/**
 * Create the inventory ConfigMap, owned by the Job so it goes when the Job goes. Idempotent: one
 * that exists already is kept. Throws when the API refuses; the next start (the Job then exists)
 * tries again, and meanwhile the pod waits for the ConfigMap, it never runs without it.
 */
export async function ensureInventoryConfigMap(input: EnsureInventoryInput): Promise<void> {
  const { namespace } = input;
  const job =
    input.created ??
    (await input.batch.readNamespacedJob({ name: input.job, namespace }).catch((error: unknown) => {
      throw apiError(`read Job ${input.job}`, error);
    }));
  const body = buildInventoryConfigMap({ job, componentsGzipBase64: input.componentsGzipBase64 });
  try {
    await input.core.createNamespacedConfigMap({ namespace, body });
  } catch (error) {
    if (apiStatus(error) !== 409) throw apiError(`create ConfigMap ${body.metadata?.name ?? "?"}`, error);
  }
}
