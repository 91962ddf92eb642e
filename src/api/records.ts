/**
 * What the controller writes to the status branch (DESIGN.md 2.2). A SessionRecord has exactly the
 * keys of `cray cfs v3 sessions describe --format json`; our extensions (`layers`, `steps`, `source`,
 * `reason`) sit under `status`, which the CFS schema leaves open, so a record still validates
 * against V3SessionData.
 */
import type { ConfigurationStatus, SessionStatus, Succeeded, TargetDefinition } from "./constants.js";
import type { ImageMapEntry, TargetGroup } from "./manifests.js";

/** PLAY RECAP counts for one host. */
export interface RecapCounts {
  ok: number;
  changed: number;
  unreachable: number;
  failed: number;
  skipped: number;
  rescued: number;
  ignored: number;
}

/** Status of one pipeline step or layer. */
export type StepState = "pending" | "running" | "succeeded" | "failed" | "skipped" | "cancelled";

/** Per-layer result: extension `status.layers[]`. */
export interface LayerStatus {
  /** Index of the layer in the configuration (kept under a configuration.limit). */
  index: number;
  name: string;
  clone_url: string;
  /** The commit actually used: the layer's commit, or its branch resolved when the session started. */
  commit: string | null;
  branch: string | null;
  playbook: string;
  status: StepState;
  exit_code: number | null;
  recap: Record<string, RecapCounts>;
  failed_hosts: string[];
  unreachable_hosts: string[];
}

/** One pipeline step (`git-clone-0`, `inventory`, `ansible-0`, `teardown`, ...): extension `status.steps[]`. */
export interface StepStatus {
  name: string;
  status: StepState;
  exit_code: number | null;
  start_time: string | null;
  completion_time: string | null;
}

/** Where the session's manifest came from: extension `status.source`. */
export interface SourceRef {
  path: string;
  /** The commit of the watched branch that introduced this manifest version. */
  commit: string;
  blob: string;
}

/** A customized image produced by a session. */
export interface Artifact {
  image_id: string;
  result_id: string;
  type: "ims_customized_image";
}

/** `status.session` exactly as CFS v3 prints it. */
export interface SessionRunStatus {
  job: string | null;
  ims_job?: string;
  /** Extension: every IMS job of an image session, in image order (CFS records only one in `ims_job`). */
  ims_jobs?: string[];
  start_time: string | null;
  completion_time: string | null;
  status: SessionStatus;
  succeeded: Succeeded;
}

/** `sessions/<name>.json` on the status branch. */
export interface SessionRecord {
  ansible: { config: string; limit: string | null; passthrough: string | null; verbosity: number };
  configuration: { limit: string; name: string };
  debug_on_failure: boolean;
  logs: string;
  name: string;
  status: {
    artifacts: Artifact[];
    session: SessionRunStatus;
    layers: LayerStatus[];
    steps: StepStatus[];
    source: SourceRef;
    /** Why the session failed or ended unknown, in plain words; null while all is well. */
    reason: string | null;
  };
  tags: Record<string, string>;
  target: { definition: TargetDefinition; groups: TargetGroup[] | null; image_map: ImageMapEntry[] };
}

/** One error in a manifest, positioned for an editor (1-based line and column). */
export interface ManifestError {
  line: number;
  column: number;
  message: string;
  /** Stable machine code: `yaml`, `schema`, `name-mismatch`, `duplicate`, `unknown-configuration`, ... */
  code: string;
}

/** `problems/<manifest path>.json`: a manifest that could not be used, and why. */
export interface ProblemRecord {
  path: string;
  commit: string;
  blob: string | null;
  errors: ManifestError[];
}

/** `expired/<name>.json`: a session deleted by session_ttl while its manifest stays in the repository. */
export interface ExpiredRecord {
  name: string;
  path: string;
  blob: string;
  expired_at: string;
}

/** `components/<id>.json`. */
export interface ComponentRecord {
  id: string;
  configuration_status: ConfigurationStatus;
  desired_config: string | null;
  error_count: number;
  state: Array<{
    clone_url: string;
    playbook: string;
    commit: string;
    status: "applied" | "failed" | "skipped";
    last_updated: string;
    session_name: string;
  }>;
}
