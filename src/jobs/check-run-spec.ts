/** The checks a RunSpec must pass before it can become a Job the API server accepts. */
import type { RunSpec } from "../api/index.js";
import { MAX_RUN_SPEC_BYTES } from "./constants.js";
import { BuildJobError } from "./errors.js";

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const MAX_DNS_LABEL = 63;

/** True when `name` is an RFC 1123 DNS label (Job, container and label-safe names). */
export function isDnsLabel(name: string): boolean {
  return name.length <= MAX_DNS_LABEL && DNS_LABEL.test(name);
}

/**
 * The RunSpec as the JSON the Job carries, after checking that the job name is a DNS label, layer
 * indices are distinct non-negative integers (they name containers) and the JSON fits an annotation.
 * Throws BuildJobError otherwise.
 */
export function checkRunSpec(spec: RunSpec): string {
  if (!isDnsLabel(spec.job)) {
    throw new BuildJobError(
      "invalid-job-name",
      `job name "${spec.job}" is not a DNS label of at most 63 characters`,
      {
        job: spec.job,
      },
    );
  }
  checkLayerIndices(spec);
  const json = JSON.stringify(spec);
  const bytes = new TextEncoder().encode(json).length;
  if (bytes > MAX_RUN_SPEC_BYTES) {
    throw new BuildJobError(
      "run-spec-too-large",
      `session ${spec.name} needs ${bytes} bytes of run data; a Job can carry at most ${MAX_RUN_SPEC_BYTES}`,
      { bytes, limit: MAX_RUN_SPEC_BYTES },
    );
  }
  return json;
}

function checkLayerIndices(spec: RunSpec): void {
  const seen = new Set<number>();
  for (const { index } of spec.layers) {
    if (!Number.isSafeInteger(index) || index < 0) {
      throw new BuildJobError("invalid-layer-index", `layer index ${index} is not a non-negative integer`, {
        index,
      });
    }
    if (seen.has(index)) {
      throw new BuildJobError("duplicate-layer-index", `layer index ${index} appears twice`, { index });
    }
    seen.add(index);
  }
}
