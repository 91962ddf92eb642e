/**
 * The last container of a session's pod, which always runs: `report`, or `teardown` for image
 * targets. It reads every earlier step's result, lists them in its log and exits 1 when any failed
 * or left none, so the Job fails exactly when the session did.
 */
import { stepMessage, type StepMessage } from "../../../jobs/index.js";
import type { ContainerStep, ContainerStepEnd } from "./container-step.js";
import { imageTeardownMessage } from "./image-container-steps.js";
import { readStepResults } from "./step-results.js";

/** Runs `report` or `teardown`. */
export async function finalStep(run: ContainerStep): Promise<ContainerStepEnd> {
  const names = run.earlier.map((s) => s.name);
  const results = await readStepResults(run.config.resultsDir, names);
  for (const name of names) run.out.write(`${summaryLine(name, results.get(name))}\n`);
  const failure = firstFailure(names, results);
  const exitCode = failure === null ? 0 : 1;
  if (run.step.kind === "teardown") {
    const teardown = await imageTeardownMessage(run, failure === null);
    return { message: teardown.message, exitCode: teardown.failed ? 1 : exitCode };
  }
  const message = stepMessage({
    step: run.step.name,
    status: failure === null ? "succeeded" : "failed",
    exit_code: exitCode,
    reason: failure,
  });
  return { message, exitCode };
}

/** Why the session failed: the first failed step's reason, or the first step that left no result. */
export function firstFailure(
  names: readonly string[],
  results: ReadonlyMap<string, StepMessage>,
): string | null {
  for (const name of names) {
    const result = results.get(name);
    if (result === undefined) return `${name} recorded no result`;
    if (result.status === "failed") return result.reason ?? `${name} failed`;
  }
  return null;
}

function summaryLine(name: string, result: StepMessage | undefined): string {
  if (result === undefined) return `${name}: no result`;
  const exit = result.exit_code === null ? "" : ` (exit code ${result.exit_code})`;
  const reason = result.reason === null ? "" : `: ${result.reason}`;
  return `${name}: ${result.status}${exit}${reason}`;
}
