/**
 * The git environment of one clone in a Job's clone container: through the entry's source (its
 * Secret's credentials as an Authorization header scoped to the source's URL, its CA as
 * GIT_SSL_CAINFO; the controller's own credentials are never sent there), or of a plain clone_url
 * with the `--git-credentials-secret` credentials. Nothing read here is logged.
 */
import type { SourceManifest } from "../../../api/index.js";
import { credentialEnv, credentialSecrets, type Credentials } from "../../../git/credentials.js";
import { readSourceAccess, type SourceDirs } from "../../local/source-access.js";
import { GIT_SAFE_ENV, sourceGitStepEnv } from "../../steps/index.js";
import type { ContainerStep } from "./container-step.js";

/** The environment of a clone and the values its log must never show; or why it cannot clone. */
export type CloneEnv = { env: Record<string, string>; secrets: string[] } | { reason: string };

/** The environment of `run`'s clone of `entry` (a layer or the additional inventory). */
export async function cloneEnv(
  run: ContainerStep,
  entry: { clone_url: string; source?: string },
): Promise<CloneEnv> {
  const step = run.step.name;
  if (entry.source === undefined) {
    const credentials = run.config.gitCredentials;
    const env = { ...run.env, ...GIT_SAFE_ENV, ...credentialEnv(credentials, entry.clone_url) };
    return { env, secrets: credentialSecrets(credentials) };
  }
  const source = run.spec.sources?.[entry.source];
  if (source === undefined) return { reason: `${step}: source ${entry.source} is not known to this run` };
  const access = await readMountedAccess(run.config.sourceDirs, source);
  if (typeof access === "string") return { reason: `${step}: source ${source.name}: ${access}` };
  const env = sourceGitStepEnv({ base: run.env, url: entry.clone_url, ...access });
  return { env, secrets: credentialSecrets(access.credentials) };
}

/** The source's credentials and CA file from the Job's mounts, or which of them is missing. */
async function readMountedAccess(
  dirs: SourceDirs | null,
  source: SourceManifest,
): Promise<{ credentials: Credentials | null; caFile: string | null } | string> {
  const { credentials, ca_cert: ca, ...rest } = source;
  const where = dirs ?? { secretsDir: "/nonexistent", configMapsDir: "/nonexistent" };
  if (credentials !== undefined) {
    const read = await readSourceAccess(where, { ...rest, credentials });
    if (!read.ok)
      return `its Secret ${credentials.secret_name} (credentials.secret_name; keys username and password, both non-empty) is missing in the Job's namespace; create it there`;
  }
  if (ca !== undefined) {
    const read = await readSourceAccess(where, { ...rest, ca_cert: ca });
    if (!read.ok)
      return `its CA ConfigMap ${ca.configmap_name} (ca_cert.configmap_name; one key holding the PEM certificate) is missing in the Job's namespace; create it there`;
  }
  const access = await readSourceAccess(where, source);
  return access.ok ? { credentials: access.credentials, caFile: access.caFile } : access.reason;
}
