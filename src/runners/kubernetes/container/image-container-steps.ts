/**
 * The image path of a session's Job: `inventory` stages the images with IMS and writes the
 * inventory that reaches them, `teardown` finishes them (results after success, none after a
 * failure), cleans up, and reports the artifacts and IMS job ids in its message. The same step
 * code as the local runner (runImageInventory / runImageTeardown); the staging file lives in the
 * pod's work volume, so teardown finds what inventory staged.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Artifact } from "../../../api/index.js";
import type { ImageService, SessionKey } from "../../../images/types.js";
import { encodeStepMessage, stepMessage, type StepMessage } from "../../../jobs/index.js";
import { readStaging, runImageInventory, runImageTeardown, stagedJobIds } from "../../steps/index.js";
import { failedMessage, logLine, type ContainerStep } from "./container-step.js";

/** Why an image step fails when the Job was made without an image service. */
export const KUBE_IMAGE_SERVICE_MISSING =
  "image targets on the kubernetes runner need the controller started with --image-service ims " +
  "and --ims-ssh-key-secret <name>";

/** File names of the session key pair in the mounted SSH key Secret. */
const PRIVATE_KEY = "id_ed25519";

/** `inventory` of an image session: stage every image with IMS, then write the inventory. */
export async function imageInventoryMessage(run: ContainerStep): Promise<StepMessage> {
  const name = run.step.name;
  const service = run.images ?? null;
  if (service === null) return failedMessage(name, `inventory: ${KUBE_IMAGE_SERVICE_MISSING}`);
  const sshKey = await mountedKey(run.config.sshKeyDir);
  if (typeof sshKey === "string") return failedMessage(name, `inventory: ${sshKey}`);
  const result = await runImageInventory({
    spec: run.spec,
    workDir: run.config.workDir,
    service,
    sshKey,
    signal: signalOf(run),
    note: (text) => logLine(run.out, text),
  });
  const ims_jobs = result.staging === null ? [] : stagedJobIds(result.staging);
  if (result.reason !== null) return { ...failedMessage(name, result.reason), ims_jobs };
  return stepMessage({ step: name, status: "succeeded", exit_code: null, ims_jobs });
}

/** How image teardown ended: its message, and whether it failed on its own account. */
export interface ImageTeardownMessage {
  message: StepMessage;
  failed: boolean;
}

/**
 * `teardown`: tell IMS whether the layers succeeded, wait for the results, clean up. Skipped when
 * nothing was staged (no image service, or inventory failed before staging anything).
 */
export async function imageTeardownMessage(
  run: ContainerStep,
  succeeded: boolean,
): Promise<ImageTeardownMessage> {
  const name = run.step.name;
  const service: ImageService | null = run.images ?? null;
  if (service === null) {
    const message = stepMessage({
      step: name,
      status: "skipped",
      exit_code: null,
      reason: KUBE_IMAGE_SERVICE_MISSING,
    });
    return { message, failed: false };
  }
  const staging = await readStaging(run.config.workDir);
  const ims_jobs = staging === null ? [] : stagedJobIds(staging);
  const result = await runImageTeardown({
    spec: run.spec,
    workDir: run.config.workDir,
    service,
    signal: signalOf(run),
    succeeded,
    note: (text) => logLine(run.out, text),
  });
  if (!result.staged) {
    return { message: stepMessage({ step: name, status: "skipped", exit_code: null }), failed: false };
  }
  const status = result.reason === null ? "succeeded" : "failed";
  const message = stepMessage({
    step: name,
    status,
    exit_code: null,
    reason: result.reason,
    artifacts: result.artifacts,
    ims_jobs,
  });
  await noteDroppedArtifacts(run, message);
  return { message, failed: result.reason !== null };
}

/**
 * Says so in the log when the artifacts do not fit the termination message: the runner then
 * records none, and the full list stays in the results directory (`results/teardown.json`).
 */
async function noteDroppedArtifacts(run: ContainerStep, message: StepMessage): Promise<void> {
  if (message.artifacts.length === 0) return;
  const encoded = encodeStepMessage(message, run.config.terminationMessageBytes);
  const kept = (JSON.parse(encoded) as { artifacts?: Artifact[] }).artifacts ?? [];
  if (kept.length === message.artifacts.length) return;
  await logLine(
    run.out,
    `${message.artifacts.length} artifacts do not fit the ${run.config.terminationMessageBytes}-byte ` +
      `termination message; the full list is in ${join(run.config.resultsDir, `${message.step}.json`)}`,
  );
}

/** The session key pair from the mounted Secret, or why it cannot be used. */
async function mountedKey(dir: string | null): Promise<SessionKey | string> {
  if (dir === null) return "the SSH key Secret is not mounted (--ims-ssh-key-secret)";
  const privateKeyPath = join(dir, PRIVATE_KEY);
  const publicKey = await readFile(`${privateKeyPath}.pub`, "utf8").catch(() => null);
  if (publicKey === null || publicKey.trim() === "") {
    return `the SSH key Secret mounted at ${dir} has no ${PRIVATE_KEY}.pub`;
  }
  return { publicKey: publicKey.trim(), privateKeyPath };
}

function signalOf(run: ContainerStep): AbortSignal {
  return run.signal ?? new AbortController().signal;
}
