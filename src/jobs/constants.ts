/**
 * The contract between the Job that `buildJob` writes and the `cfs-gitops step` command that runs in
 * it: annotation keys, paths and environment variable names. Both sides import these, never literals.
 */

/** Pod template annotation holding the RunSpec as JSON (read back through a downward API file). */
export const ANNOTATION_RUN_SPEC = "cfs-gitops/run-spec";
/** Annotation with the commit of the watched branch that introduced the session's manifest. */
export const ANNOTATION_SOURCE_COMMIT = "cfs-gitops/source-commit";
/** Annotation with the full session name (the `cfsession` label value may be cut or rewritten). */
export const ANNOTATION_SESSION = "cfs-gitops/session";
/** Annotation with the full configuration name (label values are cut to 63 characters). */
export const ANNOTATION_CONFIGURATION = "cfs-gitops/configuration";
/** Kubernetes' own annotation: the container `kubectl logs` shows when none is given. */
export const ANNOTATION_DEFAULT_CONTAINER = "kubectl.kubernetes.io/default-container";

/** `app.kubernetes.io/name` label and its value on every object this project creates. */
export const LABEL_NAME = "app.kubernetes.io/name";
/** `app.kubernetes.io/instance` label: the job name, unique per session run. */
export const LABEL_INSTANCE = "app.kubernetes.io/instance";
/** Value of `app.kubernetes.io/name`. */
export const APP_NAME = "cfs-gitops";

/** The program every container runs; the first argument is always `step`. */
export const STEP_PROGRAM = "cfs-gitops";
/** The step of the IMS cleanup Job: `cfs-gitops step ims-cleanup`, and its container's name. */
export const IMS_CLEANUP_STEP = "ims-cleanup";

/** Mount point of the shared emptyDir: `layer<i>/`, `hosts/`, `results/` live here. */
export const WORK_DIR = "/cfs/work";
/** Where each step writes `<container name>.json` with its result, for the steps after it. */
export const RESULTS_DIR = `${WORK_DIR}/results`;
/** Mount point of the downward API volume that holds the RunSpec. */
export const RUN_SPEC_DIR = "/cfs/run";
/** File (under RUN_SPEC_DIR) with the RunSpec JSON. */
export const RUN_SPEC_FILE = "spec.json";
/** Where a step container reads the RunSpec. */
export const RUN_SPEC_PATH = `${RUN_SPEC_DIR}/${RUN_SPEC_FILE}`;
/** Mount point of the inventory ConfigMap (a dynamic session's components) in the `inventory` container. */
export const INVENTORY_DIR = "/cfs/inventory";
/** Key (and file, under INVENTORY_DIR) of the inventory ConfigMap: the components JSON, gzip-compressed. */
export const COMPONENTS_FILE = "components.json.gz";
/** Mount point of the ansible config ConfigMap in the ansible containers. */
export const ANSIBLE_CONFIG_DIR = "/cfs/ansible-config";
/** ConfigMap key holding ansible.cfg (as in CFS's `cfs-default-ansible-cfg`). */
export const ANSIBLE_CONFIG_KEY = "ansible.cfg";
/** Where the kubelet reads a container's termination message (policy `File`). */
export const TERMINATION_MESSAGE_PATH = "/dev/termination-log";

/** Keys of the `kubernetes.io/basic-auth` Secret that holds git credentials. */
export const GIT_SECRET_USERNAME_KEY = "username";
export const GIT_SECRET_PASSWORD_KEY = "password";

/** Environment variables the step command reads. */
export const ENV = {
  /** Job name (the IMS cleanup Job's container: the Job whose IMS jobs it removes). */
  job: "CFS_JOB",
  /** The shared work directory; default WORK_DIR (session Jobs leave the image's paths unset). */
  workDir: "CFS_WORK_DIR",
  /** Directory of per-step result files; default RESULTS_DIR. */
  resultsDir: "CFS_RESULTS_DIR",
  /** Path of the RunSpec JSON file; default RUN_SPEC_PATH. */
  runSpecFile: "CFS_RUN_SPEC_FILE",
  /** Path of the gzip-compressed components JSON (`inventory` of a dynamic session); replaces the RunSpec's. */
  componentsFile: "CFS_COMPONENTS_FILE",
  /** Byte budget of this container's termination message (see terminationMessageBudget). */
  terminationMessageBytes: "CFS_TERMINATION_MESSAGE_BYTES",
  /** Where this container writes its termination message (its `terminationMessagePath`). */
  terminationMessagePath: "CFS_TERMINATION_MESSAGE_PATH",
  /** The site's allow-list (`--step-env`, comma-separated): names the step's programs also get. */
  stepEnv: "CFS_STEP_ENV",
  /** The Job's layout (`cfs` or `per-layer`): which containers the pod has, so a step knows the ones before it. */
  jobLayout: "CFS_JOB_LAYOUT",
  /** Clone retries of the git-clone containers, named as in CFS's clone container: tries in all. */
  gitRetryMax: "GIT_RETRY_MAX",
  /** Clone retries: seconds between two tries (CFS: GIT_RETRY_DELAY). */
  gitRetryDelay: "GIT_RETRY_DELAY",
  /** Node sessions with `--node-ssh-secret`: where the SSH key Secret is mounted (ansible containers). */
  nodeSshKeyDir: "CFS_NODE_SSH_KEY_DIR",
  /** Clone containers of a source's layers: where the sources' Secrets are mounted (`<dir>/<secret_name>/`). */
  sourceSecretsDir: "CFS_SOURCE_SECRETS_DIR",
  /** Clone containers of a source's layers: where the sources' CA ConfigMaps are mounted (`<dir>/<configmap_name>/`). */
  sourceCaDir: "CFS_SOURCE_CA_DIR",
  /** Ansible containers of a session with debug_on_failure: the pod's namespace and name (the release command). */
  namespace: "CFS_NAMESPACE",
  podName: "CFS_POD_NAME",
  /** Ansible containers: the file that ends a debug wait (default DEBUG_RELEASE_FILE, CFS's /tmp/complete). */
  debugReleaseFile: "CFS_DEBUG_RELEASE_FILE",
  /** Git credentials, from a Secret, only in git-clone containers. */
  gitUsername: "CFS_GIT_USERNAME",
  gitPassword: "CFS_GIT_PASSWORD",
  /** Directory where the ansible config ConfigMap is mounted (ansible containers only). */
  ansibleConfigDir: "CFS_ANSIBLE_CONFIG_DIR",
  /** Image targets: the IMS base URL (`inventory` and `teardown`). */
  imsUrl: "CFS_IMS_URL",
  /** Image targets: the IMS bearer token, from a Secret (`inventory` and `teardown`). */
  imsToken: "CFS_IMS_TOKEN",
  /** Image targets: the `connection_info` entry of the IMS jails to use. */
  imsSshNetwork: "CFS_IMS_SSH_NETWORK",
  /** Image targets: the user the IMS jails log in as (default root). */
  imsSshUser: "CFS_IMS_SSH_USER",
  /** Image targets: milliseconds between two looks at an IMS job. */
  imsPollMs: "CFS_IMS_POLL_MS",
  /** Image targets: longest waits (milliseconds) for waiting_on_user, SSH, and the result image. */
  imsJobTimeoutMs: "CFS_IMS_JOB_TIMEOUT_MS",
  imsSshTimeoutMs: "CFS_IMS_SSH_TIMEOUT_MS",
  imsResultTimeoutMs: "CFS_IMS_RESULT_TIMEOUT_MS",
  /** Image targets: where the SSH key Secret is mounted (`inventory`, `ansible-<i>`, `teardown`). */
  sshKeyDir: "CFS_SSH_KEY_DIR",
  /** IMS cleanup of a removed image session: the IMS job ids its inventory step reported (comma-separated). */
  imsJobs: "CFS_IMS_JOBS",
  /** IMS cleanup: milliseconds to wait before looking again, after a first look found something. */
  imsCleanupSettleMs: "CFS_IMS_CLEANUP_SETTLE_MS",
} as const;

/** Key of the IMS token Secret that holds the bearer token. */
export const IMS_TOKEN_SECRET_KEY = "token";
/** Mount point of the SSH key Secret of image sessions (`id_ed25519`, `id_ed25519.pub`). */
export const SSH_KEY_DIR = "/cfs/ssh";

/** Mount point of the `--node-ssh-secret` Secret in the ansible containers of node sessions. */
export const NODE_SSH_KEY_DIR = "/cfs/node-ssh";

/** Where a clone container finds the Secret of each source it clones through: `<dir>/<secret_name>/username`, `password`. */
export const SOURCE_SECRETS_DIR = "/cfs/sources/secrets";
/** Where a clone container finds the CA ConfigMap of each source it clones through: `<dir>/<configmap_name>/<key>`. */
export const SOURCE_CA_DIR = "/cfs/sources/ca";

/** Kubelet limit on one container's termination message. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
/** Kubelet limit on the termination messages of all containers of a pod together. */
export const MAX_POD_TERMINATION_MESSAGE_BYTES = 12 * 1024;

/** Kubernetes limit on all annotations of an object together (keys and values). */
export const MAX_ANNOTATION_BYTES = 256 * 1024;
/** Largest RunSpec JSON a Job can carry, leaving room for the other annotations. */
export const MAX_RUN_SPEC_BYTES = MAX_ANNOTATION_BYTES - 8 * 1024;
/** Largest object the API server stores (etcd's request limit is 1.5 MiB; a ConfigMap's data 1 MiB). */
export const MAX_CONFIG_MAP_BYTES = 1024 * 1024 - 8 * 1024;
