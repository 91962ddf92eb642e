/** Deterministic names derived from a session (the same across restarts and runners). */
import { createHash } from "node:crypto";

const MAX_K8S_NAME = 63;

/** Short, stable hash of a string (hex). */
export function shortHash(text: string, length = 8): string {
  return createHash("sha256").update(text).digest("hex").slice(0, length);
}

/**
 * The job name of a session: `cfs-<name>-<hash>`, at most 63 characters, a valid DNS label.
 * The hash covers the session name and the manifest blob, so a new session reusing an old name
 * gets a new job.
 */
export function jobName(session: string, blob: string): string {
  const hash = shortHash(`${session}\0${blob}`);
  const room = MAX_K8S_NAME - "cfs-".length - hash.length - 1;
  const stem = session.replace(/\./g, "-").slice(0, room).replace(/-+$/, "");
  return `cfs-${stem}-${hash}`;
}

/** A label value: at most 63 characters, starting and ending alphanumeric. */
export function labelValue(value: string): string {
  return value
    .replace(/[^A-Za-z0-9._-]/g, "-")
    .slice(0, MAX_K8S_NAME)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
}
