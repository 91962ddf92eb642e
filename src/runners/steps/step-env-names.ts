/**
 * Which environment variable names a step may get: apart from step-env.ts so that the CLI's
 * configuration checks `--step-env` without loading the runners' step modules.
 */

/** A name that may carry the controller's settings or a credential: never passed to a step. */
const SECRET_NAMES = [
  /^CFS_GITOPS_/i,
  /^CFS_GIT_(USERNAME|PASSWORD)$/i,
  /^CFS_IMS_TOKEN$/i,
  /^GIT_CONFIG_/i,
  /^GIT_ASKPASS$/i,
  /^SSH_ASKPASS$/i,
];

/** A POSIX environment variable name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `name` is one a step never gets (controller settings, credentials). */
export function isSecretEnvName(name: string): boolean {
  return SECRET_NAMES.some((pattern) => pattern.test(name));
}

/** Why `name` cannot be on a site's allow-list (`--step-env`), or null when it can. */
export function stepEnvNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name)) return `"${name}" is not an environment variable name`;
  if (isSecretEnvName(name))
    return `${name} is never passed to a step (it holds the controller's settings or a credential)`;
  return null;
}
