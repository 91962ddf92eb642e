/** One run as the local runner holds it in memory, and what its steps need from the runner. */
import type { Logger } from "pino";
import type { PlannedLayer, RunObservation, RunSpec, SourceManifest } from "../../api/index.js";
import type { ImageService } from "../../images/types.js";
import type { Sleep } from "../../git/sleep.js";
import { updateLayer, type CloneRetry, type PassthroughParse } from "../steps/index.js";
import type { RunPaths } from "./run-files.js";

/** A run this runner started (queued or running). */
export interface LocalRun {
  readonly spec: RunSpec;
  readonly paths: RunPaths;
  obs: RunObservation;
  /** When start() created it (ms since the epoch). */
  readonly created: number;
  /** Set by remove() or close(): the pipeline starts nothing more and writes nothing more. */
  stopped: boolean;
  /** The process group of the step running now (started by us, or adopted after a restart). */
  current: { pgid: number | null; unref(): void } | null;
  /** Why the run fails, once a step has failed (kept in state.json, so a restart knows it). */
  failure: string | null;
  /** Aborted when the run is stopped, so image service waits end at once. */
  readonly abort: AbortController;
  /** Variables the image service adds to ansible-playbook's environment (set by `inventory`). */
  ansibleExtraEnv: Record<string, string>;
}

/** What the steps of a run need from the runner. */
export interface StepContext {
  log: Logger;
  /** The current time, formatted for a RunObservation. */
  stamp(): string;
  /** The current time (the runner's injected clock). */
  now(): Date;
  /** Record the next observation of `run` (state.json, then onChange); nothing once the run is stopped. */
  save(run: LocalRun, next: RunObservation): Promise<void>;
  /**
   * git; the environment of a git step that clones `url` (credentials only for their own server);
   * and that of one cloning through a source (its own credentials and CA, or why they are missing).
   */
  git: {
    command: string;
    env(url: string): Record<string, string>;
    sourceEnv(
      url: string,
      source: SourceManifest,
    ): Promise<{ env: Record<string, string> } | { reason: string }>;
  };
  ansible: {
    /** The ansible-playbook to run, looked up again for every step; null when there is none. */
    find(): Promise<string | null>;
    /** The reason a session fails with when `find` gives null. */
    missingReason: string;
    /** The base environment of ansible steps (see ansibleStepEnv for what each layer adds). */
    env: Record<string, string>;
    /** `--ssh-key`: the key node sessions' ansible logs in with; null: ansible's own default. */
    sshKey: string | null;
  };
  /** Splits `ansible.passthrough` into argv tokens, or says why it cannot. */
  parsePassthrough: PassthroughParse;
  /** Time between SIGTERM and SIGKILL when a step's processes must stop. */
  killGraceMs: number;
  /** Stages and tears down the images of image sessions; null when none is configured. */
  images: ImageService | null;
  /** Retries of a clone that failed in a way that can pass. */
  cloneRetry: CloneRetry;
  /** Waits between clone tries (aborted when the run stops). */
  sleep: Sleep;
}

/** How a step ended. */
export interface StepResult {
  status: "succeeded" | "failed" | "skipped";
  exitCode: number | null;
  /** Why it failed, in plain words (the session's `reason`); null unless failed. */
  reason: string | null;
}

/** A failed step result. */
export function failedStep(reason: string, exitCode: number | null = null): StepResult {
  return { status: "failed", exitCode, reason };
}

/** A succeeded step result. */
export function succeededStep(exitCode: number | null = null): StepResult {
  return { status: "succeeded", exitCode, reason: null };
}

/** Mark a layer failed (its clone or its playbook failed) and pass the step's result on. */
export async function failLayer(
  run: LocalRun,
  ctx: StepContext,
  layer: PlannedLayer,
  result: StepResult,
): Promise<StepResult> {
  await ctx.save(
    run,
    updateLayer(run.obs, layer.index, (status) => ({ ...status, status: "failed" })),
  );
  return result;
}
