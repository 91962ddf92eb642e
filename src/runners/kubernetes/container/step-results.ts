/**
 * How the step containers of one pod tell each other and the runner how they ended: each writes
 * its full StepMessage to `<results dir>/<step>.json` (read by the steps after it) and the same
 * message, shortened to the budget, as its termination message (read by the runner from the pod
 * status, never from logs).
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { decodeStepMessage, encodeStepMessage, type StepMessage } from "../../../jobs/index.js";
import { writeJsonAtomic } from "../../steps/index.js";

/** Where results and the termination message go. */
export interface ResultPaths {
  resultsDir: string;
  terminationMessagePath: string;
  terminationMessageBytes: number;
}

/** Records how a step ended: its result file (atomically), then its termination message. */
export async function recordStepResult(paths: ResultPaths, message: StepMessage): Promise<void> {
  await mkdir(paths.resultsDir, { recursive: true });
  const file = resultFile(paths.resultsDir, message.step);
  await writeJsonAtomic(file, message);
  await writeFile(paths.terminationMessagePath, encodeStepMessage(message, paths.terminationMessageBytes));
}

/** The results of `steps` that have one, by step name (a missing or unreadable file is no result). */
export async function readStepResults(
  resultsDir: string,
  steps: readonly string[],
): Promise<Map<string, StepMessage>> {
  const results = new Map<string, StepMessage>();
  for (const step of steps) {
    const text = await readFile(resultFile(resultsDir, step), "utf8").catch(() => undefined);
    const message = decodeStepMessage(text);
    if (message !== null) results.set(step, message);
  }
  return results;
}

function resultFile(resultsDir: string, step: string): string {
  return join(resultsDir, `${step}.json`);
}
