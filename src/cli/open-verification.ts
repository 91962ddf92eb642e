/**
 * Wires `--verify-commits`: the verifying layer around the controller's source, the records of
 * unverified commits on the status branch, the metric and the `/readyz` detail.
 */
import { stat } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { VerificationStatus } from "../controller/verification-status.js";
import type { ConfigSource, StatusStore } from "../git/types.js";
import { openCommitTrust } from "../git/verify-commits.js";
import { createVerifyingSource, type VerificationState } from "../git/verifying-source.js";
import type { CommitVerificationState } from "../server/readiness.js";
import type { VerifyConfig } from "./trust-config.js";

/** What the metrics need to hear about verification. */
export interface VerificationMetrics {
  observeVerification(input: { checked: number; unverified: number }): void;
}

/** The open verification layer. */
export interface OpenVerification {
  source: ConfigSource;
  /** The readiness detail: what holds the branch back now (null: verification is off). */
  readiness: (() => CommitVerificationState) | null;
  close(): Promise<void>;
}

/** Inputs of openVerification. */
export interface OpenVerificationInput {
  /** null: verification is off (the source is used as it is). */
  config: VerifyConfig | null;
  /** The (instrumented) source and status store of the controller. */
  source: ConfigSource;
  status: StatusStore;
  gitDir: string;
  dataDir: string;
  branch: string;
  log: Logger;
  metrics: VerificationMetrics;
}

/** Opens the trust (a private GNUPGHOME for OpenPGP keys) and wraps the source. */
export async function openVerification(input: OpenVerificationInput): Promise<OpenVerification> {
  if (input.config === null) return { source: input.source, readiness: null, close: () => Promise.resolve() };
  const trust = await openCommitTrust(input.config);
  const recorder = new VerificationStatus({ status: input.status, log: input.log });
  let last: VerificationState | null = null;
  const source = createVerifyingSource({
    source: input.source,
    gitDir: input.gitDir,
    trust,
    log: input.log,
    stateFile: join(input.dataDir, "verified", `${encodeURIComponent(input.branch)}.commit`),
    trustFrom: input.config.trustFrom,
    trustVersion: () => fileVersion(trust.allowedSigners),
    onState: async (state) => {
      if (state !== last)
        input.metrics.observeVerification({ checked: state.checked, unverified: state.blocking.length });
      last = state;
      await recorder.record(state);
    },
  });
  return {
    source,
    readiness: () => readinessOf(last),
    // The source itself is closed with the repository.
    close: () => trust.close(),
  };
}

/** `mtime:size` of a file (empty when it cannot be read). */
async function fileVersion(path: string): Promise<string> {
  try {
    const info = await stat(path);
    return `${info.mtimeMs}:${info.size}`;
  } catch {
    return "";
  }
}

function readinessOf(state: VerificationState | null): CommitVerificationState {
  if (state === null) return { blocking: 0, message: "no commit checked yet" };
  const first = state.blocking[0];
  if (!first) return { blocking: 0, message: `verified up to ${state.verified?.slice(0, 12) ?? "nothing"}` };
  return {
    blocking: state.blocking.length,
    message: `${state.blocking.length} commit(s) not verified; held at ${state.verified?.slice(0, 12) ?? "nothing"}: ${first.commit.slice(0, 12)} by ${first.author} is ${first.reason}`,
  };
}
