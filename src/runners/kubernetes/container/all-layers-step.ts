/**
 * The `git-clone` and `ansible` containers of the `cfs` layout (seed 000): one container runs the
 * part of every layer in order (`git-clone` also clones the additional inventory), with the same
 * step code as the per-layer layout's own containers. Each part is framed in the log by begin and
 * end lines (so `sessions logs -c ansible-1` and per-layer progress work), and its result goes in
 * the container's message as one of its `parts`. The `ansible` container of a node session is the
 * pod's last: it fails (exit 1) when any step failed, as `report` does in the per-layer layout.
 */
import { cloneStepName } from "../../../api/index.js";
import {
  beginMarker,
  endMarker,
  jobSteps,
  stepMessage,
  type JobStep,
  type StepMessage,
} from "../../../jobs/index.js";
import type { ContainerStep, ContainerStepEnd } from "./container-step.js";
import { waitForDebugInContainer } from "./debug-wait-step.js";
import { firstFailure } from "./final-step.js";
import { readStepResults } from "./step-results.js";

/** Runs one part (a per-layer step) and returns its message. */
export type RunPart = (part: ContainerStep) => Promise<StepMessage>;

/** Runs every part of a cfs layout `git-clone` or `ansible` container. */
export async function runAllLayers(run: ContainerStep, runPart: RunPart): Promise<ContainerStepEnd> {
  const names = run.earlier.map((s) => s.name);
  const earlier = await readStepResults(run.config.resultsDir, names);
  const failedEarlier = run.earlier.find((s) => earlier.get(s.name)?.status === "failed");
  const firstFailed = failedEarlier === undefined ? null : failedPartName(earlier.get(failedEarlier.name));
  const parts = await runParts({ run, runPart, failedAt: firstFailed });
  const own = parts.find((p) => p.status === "failed") ?? null;
  if (run.step.init) return { message: containerMessage(run.step.name, parts, own), exitCode: 0 };
  // The last container of the pod: it fails the Job when any step failed, as `report` does.
  const failure =
    firstFailure(names, earlier) ?? (own === null ? null : (own.reason ?? `${own.step} failed`));
  const exitCode = failure === null ? 0 : 1;
  const message = stepMessage({
    step: run.step.name,
    status: failure === null ? "succeeded" : "failed",
    exit_code: exitCode,
    reason: failure,
    parts,
  });
  return { message, exitCode };
}

/** Runs the parts in order, each framed by its begin and end lines; after a failure the rest skip. */
async function runParts(input: {
  run: ContainerStep;
  runPart: RunPart;
  failedAt: string | null;
}): Promise<StepMessage[]> {
  const { run, runPart } = input;
  let failedAt = input.failedAt;
  const parts: StepMessage[] = [];
  for (const part of partSteps(run)) {
    if (failedAt !== null) {
      parts.push(skipped(part.name, failedAt));
      continue;
    }
    run.out.write(`${beginMarker(part.name)}\n`);
    const message = await runPart({ ...run, step: part });
    run.out.write(`${endMarker(message)}\n`);
    parts.push(message);
    if (message.status !== "failed") continue;
    failedAt = part.name;
    // debug_on_failure: the failed layer's end is in the log (the record shows it) before the wait.
    if (run.step.kind === "ansible") await waitForDebugInContainer(run);
  }
  return parts;
}

/** The per-layer steps a cfs container runs: what the per-layer layout would run in its place. */
function partSteps(run: ContainerStep): JobStep[] {
  const perLayer = jobSteps(run.spec, "per-layer");
  if (run.step.kind === "ansible") return perLayer.filter((s) => s.kind === "ansible");
  return perLayer.filter((s) => s.kind === "git-clone" || s.kind === "git-clone-hosts");
}

/** The container's own message: failed with its first failed part's reason, else succeeded (or skipped). */
function containerMessage(step: string, parts: StepMessage[], failed: StepMessage | null): StepMessage {
  if (failed !== null) {
    return stepMessage({ step, status: "failed", exit_code: null, reason: failed.reason, parts });
  }
  const status = parts.length > 0 && parts.every((p) => p.status === "skipped") ? "skipped" : "succeeded";
  const reason = status === "skipped" ? (parts[0]?.reason ?? null) : null;
  return stepMessage({ step, status, exit_code: null, reason, parts });
}

/** The name of the part that failed in an earlier container (`git-clone-0`), else the container's. */
function failedPartName(message: StepMessage | undefined): string {
  const part = message?.parts.find((p) => p.status === "failed");
  return part?.step ?? message?.step ?? cloneStepName(0);
}

function skipped(step: string, failed: string): StepMessage {
  return stepMessage({ step, status: "skipped", exit_code: null, reason: `skipped: ${failed} failed` });
}
