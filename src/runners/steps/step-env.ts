/**
 * The environment of every step process (git, ansible-playbook), built in one place for both
 * runners. A step never inherits the controller's environment: it gets a short list of harmless
 * variables, the names a site allows explicitly (`--step-env`), what the step itself needs, and the
 * variables CFS's Ansible execution environment (AEE) gives playbooks. Controller settings and
 * secrets (`CFS_GITOPS_*`, the Job's credential variables, `GIT_CONFIG_*`) never pass, whatever
 * the allow-list says.
 */
import { isImageTarget, type PlannedLayer, type RunSpec } from "../../api/index.js";
import { credentialEnv, type Credentials } from "../../git/credentials.js";
import { redactUrl } from "../../git/scrub-secrets.js";
import { ansibleEnv } from "./ansible-config.js";
import { GIT_SAFE_ENV } from "./clone-steps.js";
import { imageAnsibleEnv } from "./image-session.js";
import { isSecretEnvName } from "./step-env-names.js";

export { isSecretEnvName, stepEnvNameProblem } from "./step-env-names.js";

/** Variables every step gets from the environment it starts from, when set there. */
export const STEP_ENV_BASE: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_ALL",
  "LC_CTYPE",
  "TMPDIR",
  "TZ",
  "SSL_CERT_FILE",
  "SSL_CERT_DIR",
  "GIT_SSL_CAINFO",
  "REQUESTS_CA_BUNDLE",
  "PYTHONDONTWRITEBYTECODE",
];

/** What a step's environment starts from. */
export interface StepBaseEnvInput {
  /** The environment the runner itself runs in (the controller's, or the step container's). */
  from: Readonly<Record<string, string | undefined>>;
  /** More names to take from `from`: the site's allow-list. */
  allow?: readonly string[];
  /** Variables set (or, when undefined, removed) explicitly by the runner's caller. */
  set?: Readonly<Record<string, string | undefined>>;
}

/**
 * The environment every step process starts from: the STEP_ENV_BASE and allowed names present in
 * `from`, then `set`; secret names are dropped at the end, whichever list brought them.
 */
export function stepBaseEnv(input: StepBaseEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...STEP_ENV_BASE, ...(input.allow ?? [])]) {
    const value = input.from[name];
    if (value !== undefined) env[name] = value;
  }
  for (const [name, value] of Object.entries(input.set ?? {})) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  for (const name of Object.keys(env)) if (isSecretEnvName(name)) delete env[name];
  return env;
}

/** Credentials a runner holds for one repository server. */
export interface OriginCredentials {
  credentials: Credentials;
  /** A URL of the server they belong to (the configuration repository's); only its origin counts. */
  url: string;
}

/**
 * The environment of a git step that clones `url`: the base, git's safe settings, and, when `url`
 * is on the server the credentials belong to (same scheme, host and port), those credentials as
 * an Authorization header scoped to `url` through `GIT_CONFIG_*` (never argv, never the URL).
 */
export function gitStepEnv(input: {
  base: Readonly<Record<string, string>>;
  url: string;
  credentials?: OriginCredentials | null;
}): Record<string, string> {
  const env = { ...input.base, ...GIT_SAFE_ENV };
  const credentials = input.credentials ?? null;
  if (credentials === null || !isSameOrigin(credentials.url, input.url)) return env;
  return { ...env, ...credentialEnv(credentials.credentials, input.url) };
}

/**
 * The environment of a git step that clones `url` through a source: the base, git's safe settings,
 * the source's credentials (if any) as an Authorization header scoped to `url` (never argv, never the
 * URL; credential helpers off, so no other credentials are tried), and its CA file as
 * `GIT_SSL_CAINFO`. The controller's own credentials are not used for a source.
 */
export function sourceGitStepEnv(input: {
  base: Readonly<Record<string, string>>;
  url: string;
  credentials: Credentials | null;
  caFile: string | null;
}): Record<string, string> {
  const env = { ...input.base, ...GIT_SAFE_ENV, ...credentialEnv(input.credentials, input.url) };
  if (input.caFile !== null) env["GIT_SSL_CAINFO"] = input.caFile;
  return env;
}

/** Whether two http(s) URLs name the same origin (scheme, host, port). */
export function isSameOrigin(a: string, b: string): boolean {
  const left = httpOrigin(a);
  return left !== null && left === httpOrigin(b);
}

function httpOrigin(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.origin : null;
  } catch {
    return null;
  }
}

/**
 * The variables CFS's Ansible execution environment gives a layer's playbook: `SESSION_NAME`,
 * `SESSION_CLONE_URL` (without credentials), `SESSION_PLAYBOOK`, `LAYER_CURRENT` (the layer's
 * index) and `INVENTORY_TYPE` (the target definition).
 */
export function aeeEnv(spec: Pick<RunSpec, "name" | "session">, layer: PlannedLayer): Record<string, string> {
  return {
    SESSION_NAME: spec.name,
    SESSION_CLONE_URL: redactUrl(layer.clone_url),
    SESSION_PLAYBOOK: layer.playbook,
    LAYER_CURRENT: String(layer.index),
    INVENTORY_TYPE: spec.session.target?.definition ?? "dynamic",
  };
}

/** What an ansible step's environment is made of. */
export interface AnsibleStepEnvInput {
  base: Readonly<Record<string, string>>;
  spec: Pick<RunSpec, "name" | "session">;
  layer: PlannedLayer;
  /** The ansible.cfg the step runs with (`ANSIBLE_CONFIG`). */
  configPath: string;
  /** What the image service adds for image sessions (plugin paths); empty otherwise. */
  imageEnv?: Readonly<Record<string, string>>;
  /**
   * The SSH private key node sessions log in to live nodes with (`--ssh-key`, or the key of
   * `--node-ssh-secret` in a Job); ignored for image sessions, which reach their IMS jails with the
   * image service's own key.
   */
  sshKeyFile?: string | null;
}

/** The environment of `ansible-playbook` for one layer: base, AEE variables, ansible's own settings, image extras. */
export function ansibleStepEnv(input: AnsibleStepEnvInput): Record<string, string> {
  const env = ansibleEnv({ ...input.base, ...aeeEnv(input.spec, input.layer) }, input.configPath);
  const key = input.sshKeyFile ?? null;
  const withKey = key === null || isImageTarget(input.spec) ? env : { ...env, ANSIBLE_PRIVATE_KEY_FILE: key };
  return imageAnsibleEnv(withKey, input.imageEnv ?? {});
}
