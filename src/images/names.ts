/** Names the image service gives to what it creates for a session. */

/** Longest SSH container name IMS accepts (`SshContainer.name`). */
export const MAX_SSH_CONTAINER_NAME = 40;

/** The name of a result image without an `image_map` entry: `<image name>_cfs_<session>`, as CFS names it. */
export function defaultResultName(imageName: string, session: string): string {
  return `${imageName}_cfs_${session}`;
}

/** The SSH container name of a session's IMS jobs: the session name, cut to what IMS accepts. */
export function sshContainerName(session: string): string {
  return session.slice(0, MAX_SSH_CONTAINER_NAME);
}

/** The name of the IMS public key record of a session's run. */
export function publicKeyName(job: string): string {
  return `cfs-gitops ${job}`;
}
