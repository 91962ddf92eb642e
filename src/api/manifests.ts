/** Manifest types: what users write in the configuration repository (DESIGN.md 2.1). */
import type { TargetDefinition } from "./constants.js";

/** A named group of inventory members (node names, or image ids for image targets). */
export interface TargetGroup {
  name: string;
  members: string[];
}

/** Maps a source image to the name of the image a session produces from it. */
export interface ImageMapEntry {
  source_id: string;
  result_name: string;
}

/** `kind: Session`: one CFS session, immutable once started. */
export interface SessionManifest {
  apiVersion: string;
  kind: "Session";
  name: string;
  configuration: { name: string; limit?: string };
  /** `limit` and `passthrough` are never null here: parseManifest drops the nulls `describe` prints. */
  ansible?: { config?: string; limit?: string; verbosity?: number; passthrough?: string };
  target?: { definition?: TargetDefinition; groups?: TargetGroup[]; image_map?: ImageMapEntry[] };
  tags?: Record<string, string>;
  debug_on_failure?: boolean;
}

/**
 * One layer of a configuration: a git repository, a commit (or branch) and a playbook. The repository
 * is a `clone_url`, or a `source` (sources/<name>.yaml): the desired state fills in the source's
 * clone_url, so a layer the planner hands on always has one.
 */
export interface ConfigurationLayer {
  name?: string;
  /** Absent when the layer names a `source` instead. */
  clone_url?: string;
  /** The source the layer clones from (its clone_url, credentials and CA). */
  source?: string;
  commit?: string;
  branch?: string;
  playbook: string;
  special_parameters?: { ims_require_dkms?: boolean };
}

/** Extra inventory cloned into `hosts/` beside the generated inventory. */
export interface AdditionalInventory {
  name?: string;
  /** Absent when the inventory names a `source` instead. */
  clone_url?: string;
  /** The source the inventory clones from (see ConfigurationLayer.source). */
  source?: string;
  commit?: string;
  branch?: string;
}

/** `kind: Configuration`: the ordered layers a session applies. */
export interface ConfigurationManifest {
  apiVersion: string;
  kind: "Configuration";
  name: string;
  description?: string;
  /** The owning tenant (CFS multi-tenancy): kept and shown, not enforced. */
  tenant_name?: string;
  /** Always present after parseManifest (an absent `layers` reads as none). */
  layers: ConfigurationLayer[];
  additional_inventory?: AdditionalInventory;
}

/** A layer or an additional inventory whose repository is known: its clone_url, or its source's. */
export type WithCloneUrl<T extends { clone_url?: string }> = T & { clone_url: string };

/**
 * A configuration as the planner hands it on: every `source` looked up, so each layer and the
 * additional inventory carry a clone_url (a layer keeps `source`, so runners find its credentials).
 */
export interface ResolvedConfiguration extends Omit<
  ConfigurationManifest,
  "layers" | "additional_inventory"
> {
  layers: Array<WithCloneUrl<ConfigurationLayer>>;
  additional_inventory?: WithCloneUrl<AdditionalInventory>;
}

/** `kind: Component`: a node, its desired configuration and its inventory groups. */
export interface ComponentManifest {
  apiVersion: string;
  kind: "Component";
  id: string;
  desired_config?: string;
  enabled?: boolean;
  retry_policy?: number;
  tags?: Record<string, string>;
  /** Raise it (any new value) to reconfigure the component even though its state already matches. */
  reconfigure?: number;
  groups?: string[];
  role?: string;
  sub_role?: string;
}

/** `kind: Options` in `cfs.yaml`: controller-wide settings kept in the repository. */
export interface OptionsManifest {
  apiVersion: string;
  kind: "Options";
  session_ttl?: string;
  default_ansible_config?: string;
  default_batcher_retry_policy?: number;
  batch_size?: number;
  batch_window?: number;
  batcher_disable?: boolean;
  batcher_max_backoff?: number;
  debug_wait_time?: number;
  max_concurrent_sessions?: number;
  /** Inventory repository of sessions whose configuration has no additional_inventory. */
  additional_inventory_url?: string;
  /** A source, the same for sessions whose configuration has none; wins over the URL, as in CFS. */
  additional_inventory_source?: string;
}

/** Credentials of a source, by reference only (CFS V3SourceCredentials without username and password). */
export interface SourceCredentials {
  authentication_method?: "password";
  /** A Kubernetes Secret (kubernetes runner) or `<data-dir>/secrets/<secret_name>/` (local runner). */
  secret_name: string;
}

/** The CA certificate of a source's server (CFS V3SourceCert). */
export interface SourceCaCert {
  configmap_name: string;
  configmap_namespace?: string;
}

/** `kind: Source` in `sources/<name>.yaml`: a repository, its credentials and CA (CFS v3 sources). */
export interface SourceManifest {
  apiVersion: string;
  kind: "Source";
  name: string;
  description?: string;
  clone_url: string;
  credentials?: SourceCredentials;
  ca_cert?: SourceCaCert;
}

/**
 * Fields CFS prints in `describe` that are read-only there: a manifest may carry them (so a copied
 * record is valid) and parseManifest drops them. Listed per kind and checked against the schemas.
 */
export const READ_ONLY_FIELDS: Readonly<Record<"Session" | "Configuration" | "Source", readonly string[]>> = {
  Session: ["status", "logs"],
  Configuration: ["last_updated"],
  Source: ["last_updated"],
};

/**
 * The CFS options (V3Options) that cfs-gitops refuses on purpose, because they do not apply to it;
 * options.schema.json says why for each, and parseManifest reports it. The 17 CFS options are these,
 * plus the ones OptionsManifest holds.
 */
export const REFUSED_CFS_OPTIONS = [
  "default_playbook",
  "logging_level",
  "default_page_size",
  "include_ara_links",
  "hardware_sync_interval",
  "batcher_check_interval",
  "batcher_pending_timeout",
] as const;

/** Any manifest, discriminated by `kind`. */
export type Manifest =
  SessionManifest | ConfigurationManifest | ComponentManifest | OptionsManifest | SourceManifest;
