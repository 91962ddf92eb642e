/**
 * The `inventory` and `teardown` steps of an image session, shared by both runners: they call the
 * image service and keep what it staged in `image-staging.json` in the work directory, written
 * before anything else happens so teardown, a removal or a later process can always clean up.
 */
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Artifact, RunSpec } from "../../api/index.js";
import { errorText } from "../../images/errors.js";
import type { ImageOutcome, ImageService, SessionKey, Staging } from "../../images/types.js";
import {
  IMAGE_STAGING_FILE,
  imageArtifacts,
  imageInventoryFiles,
  imageTargets,
  requiresDkms,
  teardownFailureReason,
} from "./image-session.js";
import { HOSTS_DIR } from "./work-layout.js";
import { writeJsonAtomic } from "./write-json-atomic.js";

/** What both image steps work with. */
export interface ImageStepInput {
  spec: RunSpec;
  workDir: string;
  service: ImageService;
  /** Aborted when the session is deleted. */
  signal: AbortSignal;
  /** Appends a line to the step's log. */
  note: (text: string) => Promise<void>;
}

/** Inputs of runImageInventory. */
export interface ImageInventoryInput extends ImageStepInput {
  /** The session's key pair (IMS), or null (the local store needs none). */
  sshKey: SessionKey | null;
  /** Told about every change to what is staged, after it is written to the staging file. */
  onStaging?: (staging: Staging) => Promise<void>;
}

/** How the image inventory step ended: what is staged (even after a failure) and why it failed. */
export interface ImageInventoryResult {
  staging: Staging | null;
  reason: string | null;
}

/** `inventory` of an image session: stage every image, then write the inventory and ansible.cfg. */
export async function runImageInventory(input: ImageInventoryInput): Promise<ImageInventoryResult> {
  const images = imageTargets(input.spec);
  if (images.length === 0) return { staging: null, reason: "inventory: target.groups name no image" };
  let latest: Staging | null = null;
  const record = async (staging: Staging): Promise<void> => {
    latest = staging;
    await writeStaging(input.workDir, staging);
    await input.onStaging?.(staging);
  };
  try {
    const staging = await input.service.stage({
      session: input.spec.name,
      job: input.spec.job,
      images,
      requireDkms: requiresDkms(input.spec),
      sshKey: input.sshKey,
      signal: input.signal,
      onProgress: record,
      log: input.note,
    });
    await record(staging);
    await mkdir(join(input.workDir, HOSTS_DIR), { recursive: true });
    for (const file of imageInventoryFiles(input.spec, staging)) {
      await writeFile(join(input.workDir, file.path), file.text);
      await input.note(file.note);
    }
    return { staging, reason: null };
  } catch (error) {
    return { staging: latest, reason: `inventory: ${errorText(error)}` };
  }
}

/** Inputs of runImageTeardown. */
export interface ImageTeardownInput extends ImageStepInput {
  /** Whether every step before teardown succeeded. */
  succeeded: boolean;
}

/** How teardown ended: the artifacts to record, and why it failed (null when it did not). */
export interface ImageTeardownResult {
  /** False when nothing was staged (the inventory step failed before staging anything). */
  staged: boolean;
  outcomes: ImageOutcome[];
  artifacts: Artifact[];
  reason: string | null;
}

/**
 * `teardown`: finish every staged image (results after success, none after failure), then clean
 * up. A failed cleanup is logged and the staging file kept, so removing the session retries it.
 */
export async function runImageTeardown(input: ImageTeardownInput): Promise<ImageTeardownResult> {
  const staging = await readStaging(input.workDir);
  if (staging === null) {
    await input.note("nothing was staged; nothing to tear down");
    return { staged: false, outcomes: [], artifacts: [], reason: null };
  }
  let outcomes: ImageOutcome[];
  try {
    outcomes = await input.service.teardown({
      staging,
      succeeded: input.succeeded,
      signal: input.signal,
      log: input.note,
    });
  } catch (error) {
    outcomes = staging.images.map((image) => ({
      sourceId: image.sourceId,
      jobId: image.jobId,
      status: "failed",
      resultId: null,
      reason: errorText(error),
    }));
  }
  for (const outcome of outcomes) await input.note(outcomeLine(outcome, input.succeeded));
  await cleanupStaging({ workDir: input.workDir, service: input.service, note: input.note });
  return {
    staged: true,
    outcomes,
    artifacts: imageArtifacts(outcomes),
    reason: teardownFailureReason(outcomes),
  };
}

/**
 * Remove what a session staged, from its staging file (nothing when there is none), then the file.
 * Throws when the service could not clean up; the file stays for the next try.
 */
export async function cleanupStagedImages(input: {
  workDir: string;
  service: ImageService;
}): Promise<boolean> {
  const staging = await readStaging(input.workDir);
  if (staging === null) return false;
  await input.service.cleanup(staging);
  await rm(join(input.workDir, IMAGE_STAGING_FILE), { force: true });
  return true;
}

async function cleanupStaging(input: {
  workDir: string;
  service: ImageService;
  note(text: string): Promise<void>;
}): Promise<void> {
  try {
    if (await cleanupStagedImages(input))
      await input.note(`cleaned up (${input.service.kind} image service)`);
  } catch (error) {
    await input.note(`cleanup failed, retried when the session is deleted: ${errorText(error)}`);
  }
}

function outcomeLine(outcome: ImageOutcome, succeeded: boolean): string {
  const job = outcome.jobId === null ? "" : ` (IMS job ${outcome.jobId})`;
  if (outcome.status === "succeeded")
    return `image ${outcome.sourceId}${job}: result ${outcome.resultId ?? "?"}`;
  if (outcome.reason !== null) return `image ${outcome.sourceId}${job}: failed: ${outcome.reason}`;
  return `image ${outcome.sourceId}${job}: failed${succeeded ? "" : " (a layer failed; no result is kept)"}`;
}

/** Write the staging file atomically (a reader sees the old file or the new one). */
async function writeStaging(workDir: string, staging: Staging): Promise<void> {
  const path = join(workDir, IMAGE_STAGING_FILE);
  await mkdir(workDir, { recursive: true });
  await writeJsonAtomic(path, staging);
}

/** The staging file of a work directory, or null when there is none (or it is unreadable). */
export async function readStaging(workDir: string): Promise<Staging | null> {
  const text = await readFile(join(workDir, IMAGE_STAGING_FILE), "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<Staging>;
    const ok = (value.service === "local" || value.service === "ims") && Array.isArray(value.images);
    return ok ? (value as Staging) : null;
  } catch {
    return null;
  }
}
