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
  /**
   * Batcher sessions only (they have no manifest): the components batched, and the configuration
   * with the commit of each of its layers that the batch was made for.
   */
  batch?: BatchSource;
}

/** What made a batcher session: `status.source.batch`. */
export interface BatchSource {
  components: string[];
  configuration: string;
  commits: string[];
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

/**
 * A failed session held for debugging (debug_on_failure): where its environment is, until when it
 * waits, and how to end the wait early. The session stays running meanwhile, as in CFS.
 */
export interface DebugWait {
  /** The session's work directory: the clones (layer<i>/), the inventory (hosts/) and ansible.cfg. */
  work_dir: string;
  /** When the wait ends on its own (RFC 3339). */
  until: string;
  /** What ends the wait at once. */
  release: string;
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
    /** Set while a failed session with debug_on_failure keeps its environment for debugging. */
    debug?: DebugWait;
  };
  tags: Record<string, string>;
  target: { definition: TargetDefinition; groups: TargetGroup[] | null; image_map: ImageMapEntry[] };
}

/**
 * A completed session as the controller keeps it in memory between passes: the fields that
 * planning, expiry, metrics and commit outcomes read. The whole record stays on the status branch;
 * a completed record never changes again, and 100,000 of them held whole were ~330 MiB of heap
 * (issue 16). `settled` tells it apart from a whole SessionRecord.
 */
export interface SettledSession {
  settled: true;
  name: string;
  /** `status.session.completion_time` in ms since the epoch (NaN without one): expiry is checked every pass. */
  completedMs: number;
  configuration: { name: string };
  status: { session: SessionRunStatus; source: SourceRef; reason: string | null };
}

/** A session record as the controller holds it: whole while it can change, settled once complete. */
export type KeptSession = SessionRecord | SettledSession;

/** True for the compact form of a completed session (see SettledSession). */
export function isSettledSession(record: KeptSession): record is SettledSession {
  return "settled" in record;
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

/** Status of one layer in a component's `state[]` (CFS V3ConfigurationStateLayer). */
export type ComponentLayerStatus = "applied" | "failed" | "skipped";

/** One entry of a component's `state[]`: what a session did with one layer on this component. */
export interface ComponentStateLayer {
  clone_url: string;
  playbook: string;
  commit: string;
  status: ComponentLayerStatus;
  last_updated: string;
  session_name: string;
}

/**
 * One entry of `desired_state[]`, as `cray cfs v3 components describe` prints it with config details:
 * a layer of the desired configuration (branch resolved to its commit) and that layer's status.
 */
export interface DesiredStateLayer {
  clone_url: string;
  playbook: string;
  commit: string;
  status: ConfigurationStatus;
}

/**
 * `components/<id>.json`: exactly the keys of `cray cfs v3 components describe --format json`
 * (V3ComponentData), nothing more.
 */
export interface ComponentRecord {
  id: string;
  configuration_status: ConfigurationStatus;
  desired_config: string;
  desired_state: DesiredStateLayer[];
  enabled: boolean;
  error_count: number;
  logs: string;
  retry_policy: number;
  state: ComponentStateLayer[];
  tags: Record<string, string>;
}

/** One layer of `configurations/<name>.json`: the manifest's layer, its branch resolved to `commit`. */
export interface ConfigurationRecordLayer {
  name?: string;
  clone_url: string;
  playbook: string;
  commit: string;
  branch?: string;
  special_parameters?: { ims_require_dkms?: boolean };
}

/**
 * `configurations/<name>.json`: the record of `cray cfs v3 configurations describe` (V3ConfigurationData),
 * every branch layer resolved to the commit its branch pointed at when the manifest changed (or was
 * refreshed). Sessions and components of the configuration use exactly these commits.
 */
export interface ConfigurationRecord {
  name: string;
  description?: string;
  last_updated: string;
  layers: ConfigurationRecordLayer[];
  additional_inventory?: { name?: string; clone_url: string; commit?: string; branch?: string };
}

/**
 * `sources/<name>.json`: the record of `cray cfs v3 sources describe` (V3SourceData). It names the
 * credentials' Secret and the CA's ConfigMap; the credentials themselves are never in it.
 */
export interface SourceRecord {
  name: string;
  description?: string;
  /** When the source's manifest last changed, as the controller saw it. */
  last_updated: string;
  clone_url: string;
  credentials?: { authentication_method: "password"; secret_name: string };
  ca_cert?: { configmap_name: string; configmap_namespace?: string };
}
