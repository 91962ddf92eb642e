/** Which files of the watched branch the controller reads (a module of its own: the list's light path needs it). */
import { kindOfPath } from "../api/index.js";

/** Paths the controller reads: manifests, and anything odd under sessions/ (it reports those as problems). */
export function isManifestPath(path: string): boolean {
  return kindOfPath(path) !== null || (path.startsWith("sessions/") && /\.ya?ml$/.test(path));
}
