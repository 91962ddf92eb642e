/**
 * One step container of a session's Job (`cfs-gitops step <name>`): the same step code as the local
 * runner, with the container's stdout as the step's log. Every step but the last records its result
 * and exits 0, skipping itself after an earlier failure; the last (`report`, or `teardown` for image
 * targets) exits 1 when any step failed, which fails the Job.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import type { RunSpec } from "../../../api/index.js";
import { realSleep } from "../../../git/sleep.js";
import {
  isAllLayersStep,
  isImageTarget,
  jobSteps,
  stepMessage,
  type StepMessage,
} from "../../../jobs/index.js";
import {
  cloneHosts,
  cloneLayer,
  writeInventoryFiles,
  type CloneIo,
  type CloneOutcome,
} from "../../steps/index.js";
import { runAllLayers } from "./all-layers-step.js";
import { runAnsibleLayer } from "./ansible-container-step.js";
import { runContainerProcess } from "./container-process.js";
import {
  failedMessage,
  logLine,
  type ContainerStep,
  type ContainerStepEnd,
  type ContainerStepOptions,
} from "./container-step.js";
import { waitForDebugInContainer } from "./debug-wait-step.js";
import { finalStep } from "./final-step.js";
import { cloneEnv } from "./source-clone-env.js";
import { imageInventoryMessage } from "./image-container-steps.js";
import { readStepResults, recordStepResult } from "./step-results.js";
import { failureMessage } from "../../../api/errors.js";

/** Runs one step container to its end: records its result and returns it with the container's exit code. */
export async function runContainerStep(options: ContainerStepOptions): Promise<ContainerStepEnd> {
  const { config, out } = options;
  const end = await stepEnd(options);
  await recordStepResult(config, end.message);
  const reason = end.message.reason === null ? "" : `: ${end.message.reason}`;
  out.write(`${config.name} ${end.message.status}${reason}\n`);
  return end;
}

/** Runs the step, or says why it could not (no RunSpec, not a step of this session, an error). */
async function stepEnd(options: ContainerStepOptions): Promise<ContainerStepEnd> {
  const name = options.config.name;
  const exitCode = options.config.kind === "report" || options.config.kind === "teardown" ? 1 : 0;
  try {
    const spec = await readRunSpec(options.config);
    const steps = jobSteps(spec, options.config.layout);
    const at = steps.findIndex((s) => s.name === name);
    const step = steps[at];
    if (step === undefined) {
      return { message: failedMessage(name, `${name} is not a step of session ${spec.name}`), exitCode };
    }
    return await runStep({ ...options, spec, step, earlier: steps.slice(0, at) });
  } catch (error) {
    const reason = `${name}: ${failureMessage(error)}`;
    return { message: failedMessage(name, reason), exitCode };
  }
}

/** The RunSpec, with the components from the inventory ConfigMap when the Job mounts one. */
async function readRunSpec(config: ContainerStepOptions["config"]): Promise<RunSpec> {
  const spec = JSON.parse(await readFile(config.runSpecFile, "utf8")) as RunSpec;
  if (config.componentsFile === null) return spec;
  const components = JSON.parse(
    gunzipSync(await readFile(config.componentsFile)).toString("utf8"),
  ) as unknown;
  if (!Array.isArray(components))
    throw new Error(`${config.componentsFile} does not hold a list of components`);
  return { ...spec, components: components as RunSpec["components"] };
}

async function runStep(run: ContainerStep): Promise<ContainerStepEnd> {
  if (isAllLayersStep(run.step)) return runAllLayers(run, initStepMessage);
  if (!run.step.init) return finalStep(run);
  const results = await readStepResults(
    run.config.resultsDir,
    run.earlier.map((s) => s.name),
  );
  const failed = run.earlier.find((s) => results.get(s.name)?.status === "failed");
  if (failed !== undefined) {
    const message = stepMessage({
      step: run.step.name,
      status: "skipped",
      exit_code: null,
      reason: `skipped: ${failed.name} failed`,
    });
    return { message, exitCode: 0 };
  }
  return { message: await initStepMessage(run), exitCode: 0 };
}

function initStepMessage(run: ContainerStep): Promise<StepMessage> {
  switch (run.step.kind) {
    case "git-clone":
      return cloneLayerMessage(run);
    case "git-clone-hosts":
      return cloneHostsMessage(run);
    case "inventory":
      return isImageTarget(run.spec) ? imageInventoryMessage(run) : inventoryMessage(run);
    default:
      return ansibleLayerMessage(run);
  }
}

/**
 * An `ansible-<i>` container, or that part of the cfs layout's `ansible`: the layer, then (per-layer
 * layout) the debug wait after a failure; the cfs layout's container waits after the part's end line.
 */
async function ansibleLayerMessage(run: ContainerStep): Promise<StepMessage> {
  const message = await runAnsibleLayer(run);
  if (message.status === "failed" && run.config.layout === "per-layer") await waitForDebugInContainer(run);
  return message;
}

async function cloneLayerMessage(run: ContainerStep): Promise<StepMessage> {
  const layer = run.spec.layers.find((l) => l.index === run.step.layer);
  if (layer === undefined) return failedMessage(run.step.name, `${run.step.name}: no such layer`);
  const io = await cloneIo(run, layer);
  if ("reason" in io) return failedMessage(run.step.name, io.reason);
  return cloneMessage(run, await cloneLayer(io, layer));
}

async function cloneHostsMessage(run: ContainerStep): Promise<StepMessage> {
  const inventory = run.spec.additionalInventory;
  if (inventory === null) return failedMessage(run.step.name, "git-clone-hosts: no additional inventory");
  const io = await cloneIo(run, inventory);
  if ("reason" in io) return failedMessage(run.step.name, io.reason);
  return cloneMessage(run, await cloneHosts(io, inventory));
}

function cloneMessage(run: ContainerStep, outcome: CloneOutcome): StepMessage {
  const { status, exitCode, reason, commit } = outcome;
  return stepMessage({ step: run.step.name, status, exit_code: exitCode, reason, commit });
}

async function inventoryMessage(run: ContainerStep): Promise<StepMessage> {
  const failure = await writeInventoryFiles({
    spec: run.spec,
    workDir: run.config.workDir,
    note: (text) => logLine(run.out, text),
  });
  if (failure !== null) return failedMessage(run.step.name, failure);
  return stepMessage({ step: run.step.name, status: "succeeded", exit_code: null });
}

/**
 * git for a clone step: the credentials (the entry's source's, else the Secret of
 * `--git-credentials-secret`) go in as an Authorization header scoped to its URL through
 * GIT_CONFIG_* variables (never argv, never the log), and git never prompts.
 */
async function cloneIo(
  run: ContainerStep,
  entry: { clone_url: string; source?: string },
): Promise<CloneIo | { reason: string }> {
  const prepared = await cloneEnv(run, entry);
  if ("reason" in prepared) return prepared;
  const { env, secrets } = prepared;
  return {
    git: (command) =>
      runContainerProcess({
        command: "git",
        args: command.args,
        cwd: command.cwd === undefined ? run.config.workDir : join(run.config.workDir, command.cwd),
        env,
        out: run.out,
        secrets,
        ...(command.capture === true ? { capture: true } : {}),
        ...(run.signal === undefined ? {} : { signal: run.signal }),
      }),
    note: (text) => logLine(run.out, text),
    retry: run.config.cloneRetry,
    sleep: (ms) => realSleep(ms, run.signal),
  };
}
