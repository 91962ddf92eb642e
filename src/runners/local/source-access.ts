/**
 * What the local runner needs to clone through a source (sources/<name>.yaml): its credentials and
 * CA certificate, read from folders laid out as Kubernetes mounts them, so the same Secret and
 * ConfigMap can be copied or mounted there: `<secretsDir>/<secret_name>/username` and `password`, and
 * the first file (by name) of `<configMapsDir>/<configmap_name>/`. Nothing read here is logged, and
 * no reason quotes a file's content.
 */
import { readFile, readdir } from "node:fs/promises";
import { join } from "node:path";
import type { SourceManifest } from "../../api/index.js";
import type { Credentials } from "../../git/credentials.js";

/** Where the local runner finds the Secrets and ConfigMaps that sources name. */
export interface SourceDirs {
  secretsDir: string;
  configMapsDir: string;
}

/** A source's credentials and CA file, or why they cannot be read. */
export type SourceAccess =
  { ok: true; credentials: Credentials | null; caFile: string | null } | { ok: false; reason: string };

/** Read the credentials and find the CA file of `source`. */
export async function readSourceAccess(dirs: SourceDirs, source: SourceManifest): Promise<SourceAccess> {
  let credentials: Credentials | null = null;
  if (source.credentials !== undefined) {
    const read = await readCredentials(join(dirs.secretsDir, source.credentials.secret_name));
    if (typeof read === "string") return { ok: false, reason: `source ${source.name}: ${read}` };
    credentials = read;
  }
  let caFile: string | null = null;
  if (source.ca_cert !== undefined) {
    const found = await firstKeyFile(join(dirs.configMapsDir, source.ca_cert.configmap_name));
    if (found.file === null) return { ok: false, reason: `source ${source.name}: ${found.reason}` };
    caFile = found.file;
  }
  return { ok: true, credentials, caFile };
}

/** `username` and `password` of a Secret's folder, or why not (naming the files, never their content). */
async function readCredentials(dir: string): Promise<Credentials | string> {
  const username = await readKey(dir, "username");
  const password = await readKey(dir, "password");
  if (username === null || password === null || username === "" || password === "") {
    return `its credentials (credentials.secret_name) are not readable: the local runner reads them from ${join(dir, "username")} and ${join(dir, "password")}, both non-empty; create them (mode 0600)`;
  }
  return { username, password };
}

async function readKey(dir: string, key: string): Promise<string | null> {
  try {
    return (await readFile(join(dir, key), "utf8")).replace(/\r?\n$/, "");
  } catch {
    return null;
  }
}

/** The first key file of a ConfigMap's folder (names starting with "." are a mount's own). */
async function firstKeyFile(
  dir: string,
): Promise<{ file: string; reason: null } | { file: null; reason: string }> {
  const missing = `its CA certificate (ca_cert.configmap_name) is not readable: the local runner uses the first file of ${dir}; put the PEM certificate there`;
  try {
    const names = (await readdir(dir)).filter((name) => !name.startsWith(".")).sort();
    const first = names[0];
    return first === undefined ? { file: null, reason: missing } : { file: join(dir, first), reason: null };
  } catch {
    return { file: null, reason: missing };
  }
}
