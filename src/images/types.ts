/**
 * The image service: what a session with `target.definition: image` needs from whoever holds the
 * images. `stage` makes each image root reachable for Ansible (the `inventory` step), `teardown`
 * tells the service whether the layers succeeded and collects the result images (the `teardown`
 * step), `cleanup` removes whatever the session left with the service. Two implementations: the
 * local image store (the embedded default) and the Cray IMS client.
 */

/** Which implementation staged a session's images. */
export type ImageServiceKind = "local" | "ims";

/** One image a session customizes: a member of `target.groups`. */
export interface ImageTarget {
  /** Id of the source image. */
  sourceId: string;
  /** `image_map[].result_name` for this image; null for the default `<image name>_cfs_<session>`. */
  resultName: string | null;
}

/** The SSH key pair of a session: the public half goes to the service, Ansible uses the private one. */
export interface SessionKey {
  /** One line, `ssh-ed25519 AAAA... comment`. */
  publicKey: string;
  /** Path of the private key as ansible-playbook sees it. */
  privateKeyPath: string;
}

/** Host variables of one image root in the generated inventory (`ansible_host`, ...). */
export type HostVars = Record<string, string | number | boolean>;

/** One image as staged for a session. */
export interface StagedImage {
  sourceId: string;
  /** Name of the source image (from the service). */
  sourceName: string;
  /** Name the result image gets. */
  resultName: string;
  /** The IMS job customizing this image; null for the local image store. */
  jobId: string | null;
  /** How Ansible reaches the image root; empty until the image is ready. */
  hostVars: HostVars;
  /** Local image store: the work copy of the root that Ansible changes. */
  root: string | null;
}

/**
 * What a session has staged with the image service, as plain JSON: kept in the run directory
 * (the local runner) or the work volume (a Job), so teardown and cleanup work from another process.
 */
export interface Staging {
  service: ImageServiceKind;
  session: string;
  job: string;
  /** The IMS public key record of the session; null when none was uploaded. */
  publicKeyId: string | null;
  images: StagedImage[];
  /** Variables added to the environment of every ansible-playbook of the session. */
  ansibleEnv: Record<string, string>;
}

/** What stage() needs. */
export interface StageRequest {
  session: string;
  job: string;
  images: readonly ImageTarget[];
  /** Ask IMS for DKMS support (a layer's `special_parameters.ims_require_dkms`). */
  requireDkms: boolean;
  /** The session's key pair; required by IMS, unused by the local store. */
  sshKey: SessionKey | null;
  /** Aborted when the session is deleted: waits end at once. */
  signal: AbortSignal;
  /**
   * Called with what is staged so far after every change (a key uploaded, a job created), before
   * anything else happens, so a cancelled or crashed session can still be cleaned up.
   */
  onProgress(staging: Staging): Promise<void>;
  /** Writes a progress line to the step's log (`created IMS job ...`). */
  log?: (line: string) => Promise<void>;
}

/** What teardown() needs. */
export interface TeardownRequest {
  staging: Staging;
  /** Whether every layer succeeded: result images are made only then. */
  succeeded: boolean;
  signal: AbortSignal;
  /** Writes a progress line to the step's log. */
  log?: (line: string) => Promise<void>;
}

/** How teardown ended for one image. */
export interface ImageOutcome {
  sourceId: string;
  jobId: string | null;
  status: "succeeded" | "failed";
  /** Id of the result image; null unless succeeded. */
  resultId: string | null;
  /** Why it failed, in plain words; null when it succeeded or failed only because a layer did. */
  reason: string | null;
}

/** An image service: the local image store or the Cray IMS client. */
export interface ImageService {
  readonly kind: ImageServiceKind;
  /** Make each image root reachable for Ansible. Throws ImageServiceError (after onProgress reported what exists). */
  stage(request: StageRequest): Promise<Staging>;
  /** Finish every staged image: package the results after success, discard them after failure. */
  teardown(request: TeardownRequest): Promise<ImageOutcome[]>;
  /** Remove what the session left with the service (keys, jobs, work copies). Idempotent. */
  cleanup(staging: Staging): Promise<void>;
}
