/** Paths in the configuration repository and on the status branch (DESIGN.md 2.1, 2.2). */
import { KIND_DIRS, OPTIONS_PATH, type DirKind, type Kind } from "./constants.js";

/** Status branch path of a session record. */
export function sessionRecordPath(name: string): string {
  return `sessions/${name}.json`;
}

/** The session name of a status branch record path (`sessions/x.json` -> `x`), or null for any other path. */
export function sessionNameOfRecordPath(path: string): string | null {
  return /^sessions\/([^/]+)\.json$/.exec(path)?.[1] ?? null;
}

/** Status branch folder holding every session's folder of step logs. */
const LOGS_DIR = "logs";

/** Status branch folder holding a session's step logs. */
export function sessionLogDir(name: string): string {
  return `${LOGS_DIR}/${name}`;
}

/** True for a step log's path on the status branch (`logs/<session>/<step>.log`). */
export function isLogPath(path: string): boolean {
  return path.startsWith(`${LOGS_DIR}/`);
}

/** Status branch path of one step log. */
export function sessionLogPath(name: string, step: string): string {
  return `${sessionLogDir(name)}/${step}.log`;
}

/** Status branch path of the problem record for a manifest path. */
export function problemPath(manifestPath: string): string {
  return `problems/${manifestPath}.json`;
}

/** Status branch path of a session expired by session_ttl. */
export function expiredPath(name: string): string {
  return `expired/${name}.json`;
}

/** The session name of an expiry note's path (`expired/x.json` -> `x`), or null for any other path. */
export function expiredNameOfPath(path: string): string | null {
  return /^expired\/([^/]+)\.json$/.exec(path)?.[1] ?? null;
}

/** Status branch path of a component record. */
export function componentRecordPath(id: string): string {
  return `components/${id}.json`;
}

/** The component id of a status branch record path (`components/x.json` -> `x`), or null for any other path. */
export function componentIdOfRecordPath(path: string): string | null {
  return /^components\/([^/]+)\.json$/.exec(path)?.[1] ?? null;
}

/**
 * Status branch path of the `reconfigure` counter of a component's manifest as last acted on
 * (`{id, reconfigure}`): a manifest with another value asks for a reconfiguration.
 */
export function reconfigureRecordPath(id: string): string {
  return `reconfigure/${id}.json`;
}

/** The component id of a reconfigure record path (`reconfigure/x.json` -> `x`), or null. */
export function componentIdOfReconfigurePath(path: string): string | null {
  return /^reconfigure\/([^/]+)\.json$/.exec(path)?.[1] ?? null;
}

/** Status branch path of a configuration record (branch layers resolved). */
export function configurationRecordPath(name: string): string {
  return `configurations/${name}.json`;
}

/** The configuration name of a status branch record path (`configurations/x.json` -> `x`), or null. */
export function configurationNameOfRecordPath(path: string): string | null {
  return /^configurations\/([^/]+)\.json$/.exec(path)?.[1] ?? null;
}

/** Status branch path of a source record. */
export function sourceRecordPath(name: string): string {
  return `sources/${name}.json`;
}

/** The source name of a status branch record path (`sources/x.json` -> `x`), or null. */
export function sourceNameOfRecordPath(path: string): string | null {
  return /^sources\/([^/]+)\.json$/.exec(path)?.[1] ?? null;
}

/** Repository path of the ansible.cfg named by `ansible.config`. */
export function ansibleConfigPath(name: string): string {
  return `ansible-configs/${name}.cfg`;
}

/** The name of an ansible.cfg from its repository path (`ansible-configs/x.cfg` -> `x`), or null for any other path. */
export function ansibleConfigNameOfPath(path: string): string | null {
  return /^ansible-configs\/([^/]+)\.cfg$/.exec(path)?.[1] ?? null;
}

/** KIND_DIRS as pairs, made once (kindOfPath runs for every file of a 10,000-session tree). */
const KIND_DIR_ENTRIES = Object.entries(KIND_DIRS) as Array<[DirKind, string]>;

/** Which manifest kind a repository path holds, or null if the controller does not read it. */
export function kindOfPath(path: string): Kind | null {
  if (path === OPTIONS_PATH) return "Options";
  for (const [kind, dir] of KIND_DIR_ENTRIES) {
    if (isManifestFileIn(path, dir)) return kind;
  }
  return null;
}

/** True for a path under `sessions/`: a session file, or anything odd there (its problem is the sessions'). */
export function isSessionsPath(path: string): boolean {
  return path.startsWith("sessions/");
}

/** The file stem of a manifest path (`sessions/x.yaml` -> `x`). */
export function manifestStem(path: string): string {
  const base = path.slice(path.lastIndexOf("/") + 1);
  return base.replace(/\.ya?ml$/, "");
}

/** Repository path of a manifest of a kind and name. */
export function manifestPath(kind: DirKind, name: string): string {
  return `${KIND_DIRS[kind]}/${name}.yaml`;
}

function isManifestFileIn(path: string, dir: string): boolean {
  if (!path.startsWith(`${dir}/`)) return false;
  const rest = path.slice(dir.length + 1);
  return !rest.includes("/") && /\.ya?ml$/.test(rest);
}
