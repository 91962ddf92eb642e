/**
 * What the controller will do when a change merges: compare the manifests before (the watched
 * branch) and after (the merge result) with what the status branch records, and list the sessions
 * created and deleted, edits that change nothing (sessions are immutable), other changes, and the
 * problems the change brings. Pure; rendered as markdown for a pull-request review.
 */
import {
  manifestStem,
  type ExpiredRecord,
  type ManifestError,
  type SessionManifest,
  type SessionRecord,
} from "../api/index.js";
import { selectLayers, stableJson, type DesiredState } from "../plan/index.js";

/** The manifests on one side of the change. */
export interface PreviewSide {
  blobs: ReadonlyMap<string, string>;
  desired: DesiredState;
}

/** What the status branch records now. */
export interface PreviewRecorded {
  sessions: ReadonlyMap<string, SessionRecord>;
  expired: ReadonlyMap<string, ExpiredRecord>;
}

/** A session the merge creates. */
export interface CreatedSession {
  name: string;
  path: string;
  configuration: string;
  target: string;
  /** Layers it will run (null when its configuration cannot be resolved). */
  layers: number | null;
}

/** A session the merge deletes. */
export interface DeletedSession {
  name: string;
  path: string;
  /** Its state now: pending, running, complete, or `not started`. */
  state: string;
}

/** One problem: a manifest path and an error in it. */
export interface PreviewProblem {
  path: string;
  error: ManifestError;
}

/** Everything `diff` reports. */
export interface Preview {
  created: CreatedSession[];
  deleted: DeletedSession[];
  /** Other changes: configurations, components, options, in plain words. */
  changes: string[];
  /** Problems the change brings (the exit code says whether there are any). */
  problems: PreviewProblem[];
  /** Problems already there before the change. */
  existingProblems: number;
  /** Problems the change fixes. */
  fixedProblems: number;
  /** Files that conflict when merging (nothing else is meaningful then). */
  conflicts: string[];
}

/** Compares the two sides (see the module comment). */
export function previewChange(input: {
  before: PreviewSide;
  after: PreviewSide;
  recorded: PreviewRecorded;
}): Preview {
  const { before, after, recorded } = input;
  const immutable: PreviewProblem[] = [];
  const created: CreatedSession[] = [];
  for (const [name, session] of after.desired.sessions) {
    const { path } = session.source;
    const blob = after.blobs.get(path);
    if (blob !== undefined && before.blobs.get(path) === blob) continue;
    const startedBlob = recorded.sessions.get(name)?.status.source.blob ?? recorded.expired.get(name)?.blob;
    const beforeBlob = before.desired.sessions.get(name)?.source.blob;
    const earlier = startedBlob ?? beforeBlob;
    if (earlier === undefined) created.push(createdSession(after.desired, session.source.path, name));
    else if (earlier !== blob) immutable.push({ path, error: immutableError(name) });
  }
  const problems = [...newProblems(before.desired, after.desired), ...immutable];
  return {
    created,
    deleted: deletedSessions({ before, after, recorded }),
    changes: otherChanges(before.desired, after.desired),
    problems,
    existingProblems: countErrors(before.desired) - fixed(before.desired, after.desired),
    fixedProblems: fixed(before.desired, after.desired),
    conflicts: [],
  };
}

function createdSession(desired: DesiredState, path: string, name: string): CreatedSession {
  const manifest = desired.sessions.get(name)?.manifest;
  const configurationName = manifest?.configuration.name ?? "";
  const configuration = desired.configurations.get(configurationName);
  const selection = configuration ? selectLayers(configuration, manifest?.configuration.limit ?? "") : null;
  return {
    name,
    path,
    configuration: configurationName,
    target: manifest ? describeTarget(manifest) : "",
    layers: selection?.ok ? selection.layers.length : null,
  };
}

/** `spec; Compute: x1, x2` */
function describeTarget(manifest: SessionManifest): string {
  const target = manifest.target ?? {};
  const groups = (target.groups ?? []).map((group) => `${group.name}: ${group.members.join(", ")}`);
  return [target.definition ?? "dynamic", ...groups].join("; ");
}

function immutableError(name: string): ManifestError {
  return {
    line: 1,
    column: 1,
    code: "immutable",
    message: `session "${name}" already exists; sessions are immutable (like Jobs), so this edit changes nothing: add a new session file with a new name instead`,
  };
}

function deletedSessions(input: {
  before: PreviewSide;
  after: PreviewSide;
  recorded: PreviewRecorded;
}): DeletedSession[] {
  const out: DeletedSession[] = [];
  for (const path of input.before.blobs.keys()) {
    if (!path.startsWith("sessions/") || input.after.blobs.has(path)) continue;
    const name = manifestStem(path);
    const record = input.recorded.sessions.get(name);
    const known = input.before.desired.sessions.has(name);
    if (!record && !known) continue;
    out.push({ name, path, state: record?.status.session.status ?? "not started" });
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * Errors in `after` that `before` did not have. An error is the same when its file, code and
 * position are (its words may differ: "name one of ..." lists what exists on each side).
 */
export function newProblems(before: DesiredState, after: DesiredState): PreviewProblem[] {
  const key = (path: string, error: ManifestError): string =>
    `${path}\0${error.code}\0${error.line}\0${error.column}`;
  const seen = new Set(
    [...before.problems.values()].flatMap((problem) =>
      problem.errors.map((error) => key(problem.path, error)),
    ),
  );
  return [...after.problems.values()]
    .flatMap((problem) => problem.errors.map((error) => ({ path: problem.path, error })))
    .filter((problem) => !seen.has(key(problem.path, problem.error)))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.error.line - b.error.line));
}

function countErrors(desired: DesiredState): number {
  return [...desired.problems.values()].reduce((sum, problem) => sum + problem.errors.length, 0);
}

function fixed(before: DesiredState, after: DesiredState): number {
  return newProblems(after, before).length;
}

function otherChanges(before: DesiredState, after: DesiredState): string[] {
  return [
    ...compareMaps("configuration", before.configurations, after.configurations),
    ...compareMaps(
      "component",
      new Map(before.components.map((c) => [c.id, c])),
      new Map(after.components.map((c) => [c.id, c])),
    ),
    ...(stableJson(before.options) === stableJson(after.options) ? [] : ["cfs.yaml (options) changed"]),
  ];
}

function compareMaps(
  label: string,
  before: ReadonlyMap<string, unknown>,
  after: ReadonlyMap<string, unknown>,
): string[] {
  const names = [...new Set([...before.keys(), ...after.keys()])].sort();
  return names.flatMap((name) => {
    const a = before.get(name);
    const b = after.get(name);
    if (a === undefined) return [`${label} \`${name}\` added`];
    if (b === undefined) return [`${label} \`${name}\` removed`];
    return stableJson(a) === stableJson(b) ? [] : [`${label} \`${name}\` changed`];
  });
}

/** Markdown for a pull-request review. */
export function previewMarkdown(input: { preview: Preview; base: string; head: string }): string {
  const { preview, base, head } = input;
  const lines = [`### cfs-gitops: merging \`${head}\` into \`${base}\``, "", summary(preview), ""];
  if (preview.conflicts.length > 0) {
    lines.push("#### Merge conflicts", "", ...preview.conflicts.map((path) => `- \`${path}\``), "");
    return `${lines.join("\n")}\n`;
  }
  if (preview.created.length > 0) {
    lines.push(
      "#### Sessions created",
      "",
      "| session | configuration | layers | target |",
      "|---|---|---|---|",
    );
    for (const s of preview.created)
      lines.push(`| \`${s.name}\` | \`${cell(s.configuration)}\` | ${s.layers ?? "?"} | ${cell(s.target)} |`);
    lines.push("");
  }
  if (preview.deleted.length > 0) {
    lines.push("#### Sessions deleted", "", "| session | state now | effect |", "|---|---|---|");
    for (const s of preview.deleted) lines.push(`| \`${s.name}\` | ${s.state} | ${deleteEffect(s.state)} |`);
    lines.push("");
  }
  if (preview.problems.length > 0) {
    lines.push("#### Problems", "");
    for (const p of preview.problems)
      lines.push(`- \`${p.path}:${p.error.line}:${p.error.column}\`: ${p.error.message}`);
    lines.push("");
  }
  if (preview.changes.length > 0)
    lines.push("#### Other changes", "", ...preview.changes.map((c) => `- ${c}`), "");
  if (preview.existingProblems > 0)
    lines.push(
      `<sub>${preview.existingProblems} problem(s) already on \`${base}\` are not from this change.</sub>`,
      "",
    );
  return `${lines.join("\n").replace(/\n+$/, "")}\n`;
}

function summary(preview: Preview): string {
  if (preview.conflicts.length > 0)
    return `**Does not merge cleanly**: ${preview.conflicts.length} file(s) conflict.`;
  const parts = [
    `creates **${preview.created.length}** session${plural(preview.created.length)}`,
    `deletes **${preview.deleted.length}**`,
  ];
  const problems =
    preview.problems.length === 0
      ? "no problems."
      : `**${preview.problems.length} problem${plural(preview.problems.length)}** to fix before merging.`;
  const fixedText = preview.fixedProblems > 0 ? ` Fixes ${preview.fixedProblems} existing problem(s).` : "";
  return `When this merges, the controller ${parts.join(" and ")}; ${problems}${fixedText}`;
}

function deleteEffect(state: string): string {
  if (state === "running") return "run cancelled, record removed";
  if (state === "pending") return "never runs, record removed";
  if (state === "not started") return "never runs";
  return "record and logs removed (git log keeps them)";
}

function plural(n: number): string {
  return n === 1 ? "" : "s";
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
