/**
 * The contract between the planner and a runner: what to run (RunSpec) and what was seen (RunObservation).
 * Both runners (local processes, Kubernetes Jobs) take the same spec and report the same observation.
 */
import type { Succeeded } from "./constants.js";
import type {
  ComponentManifest,
  ConfigurationLayer,
  AdditionalInventory,
  SessionManifest,
  SourceManifest,
  WithCloneUrl,
} from "./manifests.js";
import type { Artifact, DebugWait, LayerStatus, StepStatus } from "./records.js";

/** A layer chosen to run, with its index in the configuration (kept under a configuration.limit). */
export interface PlannedLayer extends ConfigurationLayer {
  /** The layer's clone_url, or its source's. */
  clone_url: string;
  index: number;
  /** `name` if given, else a stable name derived from the index. */
  displayName: string;
}

/** Everything a runner needs to run one session, as plain data. */
export interface RunSpec {
  /** Session name. */
  name: string;
  /** Deterministic job name (`cfs-<name>-<hash>`), the same across restarts and runners. */
  job: string;
  session: SessionManifest;
  configurationName: string;
  layers: PlannedLayer[];
  additionalInventory: WithCloneUrl<AdditionalInventory> | null;
  /** The sources the layers and the additional inventory name (their credentials and CA), by name. */
  sources?: Record<string, SourceManifest>;
  /** Components for dynamic inventory. */
  components: ComponentManifest[];
  /** Name of the ansible config (ConfigMap in Kubernetes, `ansible-configs/<name>.cfg` locally). */
  ansibleConfig: string;
  /** Contents of `ansible-configs/<ansibleConfig>.cfg` from the configuration repository, if present. */
  ansibleConfigText: string | null;
  /** The commit of the watched branch that introduced the manifest. */
  sourceCommit: string;
  /**
   * `session_ttl` of the repository's `cfs.yaml` (`7d`; "" never expires); absent means the default.
   * The kubernetes runner keeps a finished Job this long (`ttlSecondsAfterFinished`).
   */
  sessionTtl?: string;
  /**
   * Seconds a failed session with debug_on_failure keeps its environment (the option
   * debug_wait_time, default 3600); absent when the session does not ask for it.
   */
  debugWaitTime?: number;
}

/** Where a run is. */
export type RunPhase = "pending" | "running" | "complete";

/** What a runner reports about one run. */
export interface RunObservation {
  name: string;
  job: string;
  phase: RunPhase;
  succeeded: Succeeded;
  startTime: string | null;
  completionTime: string | null;
  layers: LayerStatus[];
  steps: StepStatus[];
  artifacts: Artifact[];
  reason: string | null;
  /** Set while a failed session waits for debugging (debug_on_failure). */
  debug?: DebugWait;
  /** The first IMS job of an image session (CFS's `ims_job`). */
  imsJob?: string;
  /** Every IMS job of an image session, in image order (CFS keeps only one). */
  imsJobs?: string[];
}
