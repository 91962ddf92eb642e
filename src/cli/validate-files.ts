/** `cfs-gitops validate`: the controller's checks on a working tree, the index or a commit, before anything is merged. */
import { isAbsolute, relative, resolve, sep } from "node:path";
import type { ConfigurationManifest, ManifestError } from "../api/index.js";
import { formatManifestError, locateManifestPointer } from "../manifest/index.js";
import type { RepoFile } from "../plan/index.js";
import { previewChange } from "./diff-preview.js";
import { layerIssues } from "./layer-checks.js";
import type { ManifestTree } from "./repo-tree.js";
import { CONFIG_MARKERS, exists, isConfigRoot } from "./validate-sources.js";

/** One error, ready to print as `file:line:col: message`. */
export interface ValidationFinding {
  path: string;
  error: ManifestError;
}

/** Inputs of validateTree. */
export interface ValidateInput {
  /** The manifests to check (working tree, index or commit). */
  tree: ManifestTree;
  /** Only report on these paths (relative to the repository root, `/`-separated); all when empty. */
  only: string[];
  /** `--against`: the tree a change is compared with (edits of sessions there are immutable). */
  against?: ManifestTree;
}

/** Every manifest problem of a tree, the same ones the controller would record; and how many files were checked. */
export function validateTree(input: ValidateInput): { findings: ValidationFinding[]; files: number } {
  const { tree } = input;
  const wanted = input.only;
  const selected = (path: string): boolean =>
    wanted.length === 0 || wanted.some((w) => w === "" || path === w || path.startsWith(`${w}/`));
  const findings = [...tree.desired.problems.values()].flatMap((problem) =>
    problem.errors.map((error) => ({ path: problem.path, error })),
  );
  findings.push(...layerFindings(tree.files, tree.texts));
  if (input.against) findings.push(...immutableFindings(input.against, tree));
  const chosen = findings.filter((finding) => selected(finding.path));
  chosen.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.error.line - b.error.line));
  return { findings: chosen, files: [...tree.blobs.keys()].filter(selected).length };
}

/** The edits of sessions that exist in `before`: sessions are immutable (the check `diff` makes). */
function immutableFindings(before: ManifestTree, after: ManifestTree): ValidationFinding[] {
  const preview = previewChange({
    before,
    after,
    recorded: { sessions: new Map(), expired: new Map() },
  });
  return preview.problems.filter((problem) => problem.error.code === "immutable");
}

/** The layer checks of every valid configuration (see layer-checks.ts), positioned in its file. */
function layerFindings(files: RepoFile[], texts: Map<string, string>): ValidationFinding[] {
  const findings: ValidationFinding[] = [];
  for (const file of files) {
    const parsed = file.parsed;
    if (!parsed.ok || parsed.kind !== "Configuration") continue;
    for (const issue of layerIssues(parsed.manifest as ConfigurationManifest)) {
      const at = locateManifestPointer(texts.get(file.path) ?? "", issue.pointer);
      findings.push({ path: file.path, error: { ...at, code: "layer", message: issue.message } });
    }
  }
  return findings;
}

/** Formats findings as `file:line:col: message` lines. */
export function formatFindings(findings: ValidationFinding[]): string {
  return findings.map((f) => `${formatManifestError(f.path, f.error)}\n`).join("");
}

/**
 * Why `validate` cannot check what it was asked to (exit 2): the root is not a configuration
 * repository, or a path (relative to `cwd`) does not exist or lies outside it. Null when all is well.
 */
export async function unusableInput(input: {
  root: string;
  cwd: string;
  paths: string[];
  /** The root was given with --root (else it was found from the current folder). */
  given: boolean;
}): Promise<string | null> {
  const { root } = input;
  if (!(await exists(root))) return `${root}: no such directory (--root)`;
  if (!(await isConfigRoot(root))) {
    const hint = input.given
      ? "give its root with --root"
      : "run it inside one, or give its root with --root";
    return `${root} is not a configuration repository: it has none of ${CONFIG_MARKERS.join(", ")} (${hint})`;
  }
  for (const path of input.paths) {
    const rel = relative(root, resolve(input.cwd, path));
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      return `${path}: outside the repository at ${root}`;
  }
  return null;
}

/** A path given on the command line (relative to `cwd`, or absolute) as a repository path. */
export function repoPathOf(input: { root: string; cwd: string; path: string }): string {
  return relative(input.root, resolve(input.cwd, input.path)).split(sep).join("/");
}
