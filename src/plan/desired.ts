/**
 * Desired state: what the manifests on the watched branch ask for, after the checks that need
 * more than one file (duplicate names, unknown configurations, layer limits).
 */
import type {
  ComponentManifest,
  ConfigurationManifest,
  DirKind,
  Kind,
  Manifest,
  ManifestError,
  OptionsManifest,
  ProblemRecord,
  ResolvedConfiguration,
  SessionManifest,
  SourceManifest,
  SourceRef,
} from "../api/index.js";
import { isSessionsPath } from "../api/index.js";
import { selectLayers, selectsAllLayers } from "./layers.js";
import { missingSourceMessage, resolveSources } from "./resolve-sources.js";

/** A manifest file as the controller read it: where, which blob, and its parse result. */
export interface RepoFile {
  path: string;
  blob: string;
  /** The commit of the watched branch in which this blob was first seen at this path. */
  commit: string;
  parsed: ParsedFile;
}

/** The outcome of parsing one file (the manifest room's ParseResult, restated as plain data). */
export type ParsedFile =
  | { ok: true; kind: Kind; name: string; manifest: Manifest }
  | { ok: false; kind: Kind | null; name: string | null; errors: ManifestError[] };

/** Finds the line and column of a JSON pointer inside a file, for errors found across files. */
export type Locate = (path: string, pointer: string) => { line: number; column: number };

/** A session the controller may run: valid, unique, and naming a configuration that exists. */
export interface DesiredSession {
  manifest: SessionManifest;
  source: SourceRef;
}

/** Everything the manifests at one commit ask for. */
export interface DesiredState {
  commit: string;
  sessions: Map<string, DesiredSession>;
  /** Configurations whose sources exist, each layer with its clone_url (see resolveSources). */
  configurations: Map<string, ResolvedConfiguration>;
  /** Sources (sources/<name>.yaml) by name. */
  sources: Map<string, SourceManifest>;
  components: ComponentManifest[];
  options: OptionsManifest | null;
  /** ansible.cfg texts by name (`ansible-configs/<name>.cfg`). */
  ansibleConfigs: Map<string, string>;
  /** Every manifest path present at the commit, valid or not. */
  presentPaths: PathSet;
  /** Problems by manifest path. */
  problems: Map<string, ProblemRecord>;
  /** What the files outside `sessions/` gave: hand it to the next assembly while none of them changed. */
  base: DesiredBase;
}

/** A set of paths as the planner asks it: is this path there? */
export interface PathSet {
  has(path: string): boolean;
}

/**
 * What the manifests outside `sessions/` ask for (configurations, sources, components, options) and
 * their problems. Sessions depend on it, never the other way round, so a commit that only adds or
 * removes session files reuses it (20,000 component files are not walked again), and what is made
 * from it (the components' base) is kept while it is the same object.
 */
export interface DesiredBase {
  configurations: Map<string, ResolvedConfiguration>;
  sources: Map<string, SourceManifest>;
  components: ComponentManifest[];
  options: OptionsManifest | null;
  problems: ReadonlyMap<string, ProblemRecord>;
}

/** Inputs of assembleDesired. */
export interface AssembleInput {
  commit: string;
  files: Iterable<RepoFile>;
  locate: Locate;
  ansibleConfigs?: Map<string, string>;
  /**
   * Session files present at the commit that were not read: each one's session completed from
   * exactly that blob, so only its presence matters (deleting it deletes the session).
   */
  settledPaths?: Iterable<string>;
  /**
   * True when the session file `path` at `blob` is settled: the status branch holds its session
   * complete (or expired) from exactly that blob. Such a session has run and its record keeps what
   * it ran, so the checks against other files (its configuration, its layer limit) no longer apply:
   * only unfinished sessions hold a configuration back, as in CFS. Default: none is settled.
   */
  settled?: (path: string, blob: string) => boolean;
  /**
   * The base of an earlier assembly, when no file outside `sessions/` changed since: only the
   * session files are assembled again. Default: assembled from `files`.
   */
  base?: DesiredBase;
  /** Every path present, when the caller keeps them (default: `files` and `settledPaths`). */
  presentPaths?: PathSet;
}

type AddError = (file: RepoFile, error: ManifestError) => void;

/** Builds the desired state from every manifest file at a commit. */
export function assembleDesired(input: AssembleInput): DesiredState {
  const files = [...input.files];
  const sessionFiles = files.filter((file) => isSessionsPath(file.path));
  const base =
    input.base ??
    assembleBase(
      files.filter((file) => !isSessionsPath(file.path)),
      input.locate,
    );
  const problems = new Map(base.problems);
  const addError = problemCollector(problems);
  const valid = validFiles(sessionFiles, addError);
  const unique = dropDuplicates(valid, input.locate, addError);
  const sessions = collectSessions({
    input,
    files: unique.get("Session") ?? [],
    configurations: base.configurations,
    addError,
  });
  return {
    commit: input.commit,
    sessions,
    configurations: base.configurations,
    sources: base.sources,
    components: base.components,
    options: base.options,
    ansibleConfigs: input.ansibleConfigs ?? new Map<string, string>(),
    presentPaths:
      input.presentPaths ?? new Set([...files.map((file) => file.path), ...(input.settledPaths ?? [])]),
    problems,
    base,
  };
}

/** The base from every file outside `sessions/`. */
function assembleBase(files: RepoFile[], locate: Locate): DesiredBase {
  const problems = new Map<string, ProblemRecord>();
  const addError = problemCollector(problems);
  const unique = dropDuplicates(validFiles(files, addError), locate, addError);
  const sources = collect<SourceManifest>(unique, "Source");
  const configurations = resolveConfigurations({ byKind: unique, sources, locate, addError });
  reportComponentReferences({ byKind: unique, configurations, locate, addError });
  const options = [...collect<OptionsManifest>(unique, "Options").values()][0] ?? null;
  reportOptionsSource({ byKind: unique, sources, locate, addError });
  return {
    configurations,
    sources,
    components: [...collect<ComponentManifest>(unique, "Component").values()],
    options,
    problems,
  };
}

/** Adds each error to the problem of its file in `problems`. */
function problemCollector(problems: Map<string, ProblemRecord>): AddError {
  return (file, error) => {
    const existing = problems.get(file.path);
    if (existing) existing.errors.push(error);
    else problems.set(file.path, { path: file.path, commit: file.commit, blob: file.blob, errors: [error] });
  };
}

/** The files that parsed; the errors of the others go to their problems. */
function validFiles(files: RepoFile[], addError: AddError): RepoFile[] {
  const valid: RepoFile[] = [];
  for (const file of files) {
    if (file.parsed.ok) valid.push(file);
    else for (const error of file.parsed.errors) addError(file, error);
  }
  return valid;
}

/**
 * The configurations with their sources looked up; one that names a source that does not exist is
 * a problem at that `source:` and is left out, as CFS refuses to store it.
 */
function resolveConfigurations(input: {
  byKind: Map<Kind, RepoFile[]>;
  sources: ReadonlyMap<string, SourceManifest>;
  locate: Locate;
  addError: (file: RepoFile, error: ManifestError) => void;
}): Map<string, ResolvedConfiguration> {
  const out = new Map<string, ResolvedConfiguration>();
  for (const file of input.byKind.get("Configuration") ?? []) {
    if (!file.parsed.ok) continue;
    const resolved = resolveSources(file.parsed.manifest as ConfigurationManifest, input.sources);
    if (resolved.ok) {
      out.set(file.parsed.name, resolved.configuration);
      continue;
    }
    for (const issue of resolved.issues)
      input.addError(file, {
        ...input.locate(file.path, issue.pointer),
        code: "unknown-source",
        message: issue.message,
      });
  }
  return out;
}

/**
 * `additional_inventory_source` in cfs.yaml must name a source; otherwise sessions run without the
 * option's inventory and cfs.yaml says why (CFS refuses to delete a source the option names).
 */
function reportOptionsSource(input: {
  byKind: Map<Kind, RepoFile[]>;
  sources: ReadonlyMap<string, SourceManifest>;
  locate: Locate;
  addError: (file: RepoFile, error: ManifestError) => void;
}): void {
  for (const file of input.byKind.get("Options") ?? []) {
    const name = file.parsed.ok
      ? (file.parsed.manifest as OptionsManifest).additional_inventory_source
      : undefined;
    if (name === undefined || name === "" || input.sources.has(name)) continue;
    const known = [...input.sources.keys()].sort().slice(0, 10);
    const where = input.locate(file.path, "/additional_inventory_source");
    input.addError(file, { ...where, code: "unknown-source", message: missingSourceMessage(name, known) });
  }
}

/**
 * The sessions that may run: each valid session whose configuration and layer limit resolve. A
 * finished (settled) session whose references no longer resolve is left out without a problem.
 */
function collectSessions(context: {
  input: AssembleInput;
  files: RepoFile[];
  configurations: Map<string, ResolvedConfiguration>;
  addError: (file: RepoFile, error: ManifestError) => void;
}): Map<string, DesiredSession> {
  const { input, configurations, addError } = context;
  const sessions = new Map<string, DesiredSession>();
  for (const file of context.files) {
    const session = file.parsed.ok ? (file.parsed.manifest as SessionManifest) : null;
    if (!session) continue;
    const error = checkSessionReferences(session, configurations);
    if (error && input.settled?.(file.path, file.blob)) continue; // present, finished: nothing to check
    if (error) {
      addError(file, { ...input.locate(file.path, error.pointer), message: error.message, code: error.code });
      continue;
    }
    sessions.set(session.name, {
      manifest: session,
      source: { path: file.path, commit: file.commit, blob: file.blob },
    });
  }
  return sessions;
}

function collect<T extends Manifest>(byKind: Map<Kind, RepoFile[]>, kind: Kind): Map<string, T> {
  const out = new Map<string, T>();
  for (const file of byKind.get(kind) ?? []) {
    if (file.parsed.ok) out.set(file.parsed.name, file.parsed.manifest as T);
  }
  return out;
}

/** Groups valid files by kind, leaving out every file whose name another file of its kind also uses. */
function dropDuplicates(
  valid: RepoFile[],
  locate: Locate,
  addError: (file: RepoFile, error: ManifestError) => void,
): Map<Kind, RepoFile[]> {
  const byKey = new Map<string, RepoFile[]>();
  for (const file of valid) {
    if (!file.parsed.ok) continue;
    const key = `${file.parsed.kind}\0${file.parsed.name}`;
    appendTo(byKey, key, file);
  }
  const byKind = new Map<Kind, RepoFile[]>();
  for (const group of byKey.values()) {
    if (group.length > 1) {
      reportDuplicates(group, locate, addError);
      continue;
    }
    const [file] = group;
    if (!file?.parsed.ok) continue;
    appendTo(byKind, file.parsed.kind, file);
  }
  return byKind;
}

/** Adds to the list under `key` in place (copying the list on every add is quadratic: 10,000 sessions). */
function appendTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

function reportDuplicates(
  group: RepoFile[],
  locate: Locate,
  addError: (file: RepoFile, error: ManifestError) => void,
): void {
  for (const file of group) {
    if (!file.parsed.ok) continue;
    const others = group.filter((other) => other !== file).map((other) => other.path);
    const pointer = file.parsed.kind === "Component" ? "/id" : "/name";
    const label = kindLabel(file.parsed.kind);
    addError(file, {
      ...locate(file.path, pointer),
      code: "duplicate",
      message: `${label} name "${file.parsed.name}" is also used by ${others.join(", ")}: names must be unique, rename or remove one`,
    });
  }
}

function kindLabel(kind: Kind): string {
  const labels: Record<DirKind | "Options", string> = {
    Session: "session",
    Configuration: "configuration",
    Component: "component",
    Options: "options",
    Source: "source",
  };
  return labels[kind];
}

function checkSessionReferences(
  session: SessionManifest,
  configurations: Map<string, ResolvedConfiguration>,
): { pointer: string; message: string; code: string } | null {
  const configuration = configurations.get(session.configuration.name);
  if (!configuration) {
    const known = [...configurations.keys()].sort().slice(0, 10);
    return {
      pointer: "/configuration/name",
      code: "unknown-configuration",
      message: `configuration "${session.configuration.name}" does not exist: add configurations/${session.configuration.name}.yaml or name one of ${known.length > 0 ? known.map((n) => `"${n}"`).join(", ") : "(none defined yet)"}`,
    };
  }
  const limit = session.configuration.limit ?? "";
  if (selectsAllLayers(limit)) return null; // the common case: no need to build the layers
  const selection = selectLayers(configuration, limit);
  if (!selection.ok)
    return { pointer: "/configuration/limit", code: "unknown-layer", message: selection.message };
  return null;
}

function reportComponentReferences(input: {
  byKind: Map<Kind, RepoFile[]>;
  configurations: Map<string, ResolvedConfiguration>;
  locate: Locate;
  addError: (file: RepoFile, error: ManifestError) => void;
}): void {
  for (const file of input.byKind.get("Component") ?? []) {
    const error = checkComponentReference(file, input.configurations);
    if (error) input.addError(file, { ...input.locate(file.path, "/desired_config"), ...error });
  }
}

/**
 * A component whose desired_config names no configuration is kept (it stays in dynamic inventory)
 * but reported, so its `unconfigured` status has a reason.
 */
function checkComponentReference(
  file: RepoFile,
  configurations: Map<string, ResolvedConfiguration>,
): { code: string; message: string } | null {
  if (!file.parsed.ok) return null;
  const wanted = (file.parsed.manifest as ComponentManifest).desired_config ?? "";
  if (wanted === "" || configurations.has(wanted)) return null;
  return {
    code: "unknown-configuration",
    message: `desired_config "${wanted}" does not exist: the component stays unconfigured until configurations/${wanted}.yaml is added or desired_config names an existing configuration`,
  };
}
