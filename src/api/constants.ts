/** Constants of the user contract (DESIGN.md section 2). Changing one needs a migration note. */

/** The apiVersion every manifest carries. */
export const API_VERSION = "cfs-gitops/v1";

/** Manifest kinds and the repository folder (or file) each lives in. */
export const KIND_DIRS = {
  Session: "sessions",
  Configuration: "configurations",
  Component: "components",
  Source: "sources",
} as const;

/** Kinds that live one per file under a folder. */
export type DirKind = keyof typeof KIND_DIRS;

/** Every manifest kind. */
export type Kind = DirKind | "Options";

/** Repository path of the Options manifest. */
export const OPTIONS_PATH = "cfs.yaml";

/** Default watched branch and status branch. */
export const DEFAULT_BRANCH = "main";
export const DEFAULT_STATUS_BRANCH = "cfs-status";

/** Largest manifest the controller reads (bigger files become a problem, unread). */
export const MAX_MANIFEST_BYTES = 1024 * 1024;

/** CFS limits (cfs-openapi.yaml). */
export const MAX_SESSION_NAME = 45;
export const MAX_CONFIGURATION_NAME = 60;
export const MAX_LAYER_NAME = 45;
/** Kubernetes DNS-subdomain pattern used by CFS for session names. */
export const SESSION_NAME_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
/** CFS's "no whitespace, no semicolon" pattern for URLs, branches, playbooks and --limit. */
export const NO_SPACE_PATTERN = "^[^\\s;]*$";
export const COMMIT_PATTERN = "^[a-f0-9]{40}$";
export const SESSION_TTL_PATTERN = "^(?:[0-9]+[mMhHdDwW]){0,1}$";

/** The only ansible-playbook flags `ansible.passthrough` may carry (CFS v3). */
export const PASSTHROUGH_FLAGS = [
  "-e",
  "--extra-vars",
  "-f",
  "--forks",
  "--skip-tags",
  "--start-at-task",
  "-t",
  "--tags",
] as const;

/** Defaults CFS applies when a field is absent. */
export const DEFAULT_ANSIBLE_CONFIG = "cfs-default-ansible-cfg";
export const DEFAULT_SESSION_TTL = "7d";
/** Seconds a failed session with debug_on_failure keeps its environment (CFS option debug_wait_time). */
export const DEFAULT_DEBUG_WAIT_TIME = 3600;

/** Session status values, in the only order they may move. */
export const SESSION_STATUSES = ["pending", "running", "complete"] as const;
export type SessionStatus = (typeof SESSION_STATUSES)[number];

/** `succeeded` values: `none` until complete, then one of the other three, for good. */
export const SUCCEEDED_VALUES = ["none", "true", "false", "unknown"] as const;
export type Succeeded = (typeof SUCCEEDED_VALUES)[number];

/** Target definitions (cfs-openapi SessionTargetSection). */
export const TARGET_DEFINITIONS = ["dynamic", "spec", "repo", "image"] as const;
export type TargetDefinition = (typeof TARGET_DEFINITIONS)[number];

/** Artifact type CFS records for a customized image. */
export const ARTIFACT_TYPE = "ims_customized_image";

/** Component configuration_status values (CFS v3). */
export const CONFIGURATION_STATUSES = ["unconfigured", "pending", "failed", "configured"] as const;
export type ConfigurationStatus = (typeof CONFIGURATION_STATUSES)[number];

/** Commit trailers that link a status commit back to its source. */
export const TRAILER_SOURCE_COMMIT = "Cfs-Source-Commit";
export const TRAILER_SESSION = "Cfs-Session";

/** Labels put on Kubernetes objects (values cut to 63 characters). */
export const LABEL_SESSION = "cfsession";
export const LABEL_AEE = "aee";
export const LABEL_CONFIGURATION = "configuration";
export const LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "cfs-gitops";

/** Batcher defaults (cfs-batcher's own, written back to CFS options when missing). */
export const DEFAULT_BATCH_SIZE = 25;
export const DEFAULT_BATCH_WINDOW_SECONDS = 60;
export const DEFAULT_BATCHER_RETRY_POLICY = 3;
export const DEFAULT_BATCHER_MAX_BACKOFF_SECONDS = 3600;
/** First backoff after a run of failed batcher sessions (cfs-batcher: min(max backoff, 60 s)). */
export const BATCHER_FIRST_BACKOFF_SECONDS = 60;
/** How many recent batcher session outcomes the backoff looks at (cfs-batcher: 20). */
export const BATCHER_OUTCOME_WINDOW = 20;
/** Prefix of the names of sessions the batcher makes. */
export const BATCHER_SESSION_PREFIX = "batcher-";
/** The tag every batcher session carries, saying it was made automatically for components. */
export const BATCHER_TAG = "cfs_gitops_automatic";
export const BATCHER_TAG_VALUE = "batcher";
