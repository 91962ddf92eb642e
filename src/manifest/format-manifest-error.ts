/** Render a manifest error the way compilers do, so editors and terminals can jump to it. */
import type { ManifestError } from "../api/index.js";

/** `path:line:col: message`, as printed by `cfs-gitops validate` and written to the logs. */
export function formatManifestError(path: string, error: ManifestError): string {
  return `${path}:${error.line}:${error.column}: ${error.message}`;
}
