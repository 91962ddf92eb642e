/**
 * The cfs layout reports every layer's result in the termination message of one container
 * (`git-clone`: each layer's commit; `ansible`: each layer's status), and the kubelet keeps at most
 * a few KiB of it. A session with more layers than fit would lose its per-layer results, so its Job
 * is refused, saying to use the per-layer layout (whose containers report a layer each).
 */
import { cloneStepName, type RunSpec } from "../api/index.js";
import { BuildJobError } from "./errors.js";
import { encodeStepMessage, stepMessage } from "./step-message.js";

/** A commit id as long as git's (SHA-1) are: the worst case of a reported commit. */
const WORST_COMMIT = "f".repeat(40);

/**
 * Throws BuildJobError when the cfs layout's `git-clone` message, shortened as far as it can be
 * (status, exit code and commit of each layer), does not fit `budget` bytes.
 */
export function checkCfsLayoutFits(
  spec: Pick<RunSpec, "name" | "layers" | "additionalInventory">,
  budget: number,
): void {
  const parts = spec.layers.map((layer) =>
    stepMessage({ step: cloneStepName(layer.index), status: "failed", exit_code: 128, commit: WORST_COMMIT }),
  );
  if (spec.additionalInventory !== null)
    parts.push(stepMessage({ step: "git-clone-hosts", status: "failed", exit_code: 128 }));
  const probe = stepMessage({ step: "git-clone", status: "failed", exit_code: null, parts });
  const bytes = new TextEncoder().encode(encodeStepMessage(probe, budget)).length;
  if (bytes <= budget) return;
  throw new BuildJobError(
    "too-many-layers-for-layout",
    `session ${spec.name} has ${spec.layers.length} layers: the cfs Job layout reports every layer's result in ${budget} bytes and they need ${bytes}; run it with --job-layout per-layer`,
    { layers: spec.layers.length, bytes, limit: budget },
  );
}
