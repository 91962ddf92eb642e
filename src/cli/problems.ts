/**
 * The problems a user sees: what the watched branch's manifests bring now (computed with the
 * controller's own checks) together with what the controller recorded under `problems/` on the
 * status branch (which also knows what only it can see: edits of sessions that ran, unreadable
 * status files). A recorded problem of a manifest that changed since is stale: the computed one
 * replaces it.
 */
import { manifestStem, type ManifestError, type ProblemRecord } from "../api/index.js";
import { formatManifestError } from "../manifest/format-manifest-error.js";
import { isManifestPath } from "./manifest-path.js";
import type { LoadedSessions } from "./session-source.js";
import type { StatusReader } from "./status-reader.js";

/** A session manifest that cannot be used and has no record: listed with status `invalid`. */
export interface InvalidSession {
  name: string;
  path: string;
  errors: ManifestError[];
}

/** Every problem recorded under `problems/` on the status branch. */
export function recordedProblems(reader: StatusReader): Promise<ProblemRecord[]> {
  const paths = [...reader.snapshot.files.keys()].filter(
    (p) => p.startsWith("problems/") && p.endsWith(".json"),
  );
  return reader.readRecords<ProblemRecord>(paths);
}

/**
 * Computed problems plus the recorded ones that still apply (see the module comment), by path.
 * Pure. `blobs` holds every manifest path of the watched branch; null when it was not read (then
 * the recorded problems are all there is).
 */
export function mergeProblems(input: {
  computed: ReadonlyMap<string, ProblemRecord> | null;
  recorded: readonly ProblemRecord[];
  blobs: ReadonlyMap<string, string> | null;
}): ProblemRecord[] {
  const { computed, blobs } = input;
  if (computed === null || blobs === null) return sortByPath([...input.recorded]);
  const out = new Map([...computed].map(([path, p]) => [path, { ...p, errors: [...p.errors] }]));
  for (const recorded of input.recorded) {
    if (!stillApplies(recorded, blobs)) continue;
    const merged = out.get(recorded.path);
    if (!merged) {
      out.set(recorded.path, recorded);
      continue;
    }
    const seen = new Set(merged.errors.map(errorKey));
    merged.errors.push(...recorded.errors.filter((error) => !seen.has(errorKey(error))));
  }
  return sortByPath([...out.values()]);
}

/** A recorded problem of a manifest applies while the manifest is there with the same blob. */
function stillApplies(problem: ProblemRecord, blobs: ReadonlyMap<string, string>): boolean {
  if (!isManifestPath(problem.path)) return true; // a status file's problem: only the controller knows
  const blob = blobs.get(problem.path);
  return blob !== undefined && (problem.blob === null || problem.blob === blob);
}

function errorKey(error: ManifestError): string {
  return `${error.code}\0${error.line}\0${error.column}`;
}

function sortByPath(problems: ProblemRecord[]): ProblemRecord[] {
  return problems.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The problems of what `loadSessions` read. */
export async function problemsOf(loaded: Pick<LoadedSessions, "reader" | "tree">): Promise<ProblemRecord[]> {
  return mergeProblems({
    computed: loaded.tree?.desired.problems ?? null,
    recorded: await recordedProblems(loaded.reader),
    blobs: loaded.tree?.blobs ?? null,
  });
}

/** Session manifests with a problem whose session has no record (so nothing else shows them). Pure. */
export function invalidSessions(input: {
  problems: readonly ProblemRecord[];
  recorded: ReadonlySet<string>;
}): InvalidSession[] {
  return input.problems
    .filter((p) => p.path.startsWith("sessions/") && /\.ya?ml$/.test(p.path))
    .map((p) => ({ name: manifestStem(p.path), path: p.path, errors: p.errors }))
    .filter((session) => !input.recorded.has(session.name));
}

/** `file:line:col: message` lines of problems. */
export function problemLines(problems: readonly Pick<ProblemRecord, "path" | "errors">[]): string {
  return problems.flatMap((p) => p.errors.map((error) => `${formatManifestError(p.path, error)}\n`)).join("");
}

/** How many errors the problems hold. */
export function errorCount(problems: readonly Pick<ProblemRecord, "errors">[]): number {
  return problems.reduce((sum, problem) => sum + problem.errors.length, 0);
}
