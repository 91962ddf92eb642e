/** `cfs-gitops validate`: the controller's checks on a working tree, before anything is committed. */
import { lstat, readdir, readFile, stat } from "node:fs/promises";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import { KIND_DIRS, OPTIONS_PATH, type ConfigurationManifest, type ManifestError } from "../api/index.js";
import { formatManifestError, locateManifestPointer, parseManifest } from "../manifest/index.js";
import { assembleDesired, type RepoFile } from "../plan/index.js";
import { layerIssues } from "./layer-checks.js";

/** One error, ready to print as `file:line:col: message`. */
export interface ValidationFinding {
  path: string;
  error: ManifestError;
}

/** Inputs of validateTree. */
export interface ValidateInput {
  /** Root of the configuration repository's working tree. */
  root: string;
  /** Only report on these files or folders (relative to cwd or absolute); all when empty. */
  only: string[];
}

/** Every manifest problem in a working tree, the same ones the controller would record. */
export async function validateTree(
  input: ValidateInput,
): Promise<{ findings: ValidationFinding[]; files: number }> {
  const root = resolve(input.root);
  const paths = await manifestPaths(root);
  const texts = new Map<string, string>();
  const files: RepoFile[] = [];
  for (const path of paths) {
    const full = join(root, path);
    const info = await lstat(full);
    const mode = info.isSymbolicLink() ? "120000" : info.isFile() ? "100644" : "040000";
    const bytes = mode === "100644" ? await readFile(full) : new Uint8Array();
    texts.set(path, Buffer.from(bytes).toString("utf8"));
    const parsed = parseManifest({ path, bytes, mode });
    files.push({ path, blob: "working-tree", commit: "working-tree", parsed });
  }
  const desired = assembleDesired({
    commit: "working-tree",
    files,
    locate: (path, pointer) => locateManifestPointer(texts.get(path) ?? "", pointer),
  });
  const wanted = input.only.map((p) => relative(root, resolve(p)).split(sep).join("/"));
  const selected = (path: string): boolean =>
    wanted.length === 0 || wanted.some((w) => w === "" || path === w || path.startsWith(`${w}/`));
  const findings = [...desired.problems.values()]
    .filter((problem) => selected(problem.path))
    .flatMap((problem) => problem.errors.map((error) => ({ path: problem.path, error })));
  findings.push(...layerFindings(files, texts).filter((finding) => selected(finding.path)));
  findings.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.error.line - b.error.line));
  return { findings, files: paths.filter(selected).length };
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

async function manifestPaths(root: string): Promise<string[]> {
  const out: string[] = [];
  if (await exists(join(root, OPTIONS_PATH))) out.push(OPTIONS_PATH);
  for (const dir of Object.values(KIND_DIRS)) {
    const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const isYaml = /\.ya?ml$/.test(entry.name);
      if (dir === KIND_DIRS.Session && entry.isDirectory())
        out.push(...(await nestedPaths(root, `${dir}/${entry.name}`)));
      else if (isYaml || entry.isSymbolicLink() || (dir === KIND_DIRS.Session && !entry.isFile()))
        out.push(`${dir}/${entry.name}`);
    }
  }
  return out.sort();
}

/**
 * What the controller reads from a folder under sessions/ (as Git lists it: files, not folders):
 * its YAML files and anything that is not a regular file, each of them a problem.
 */
async function nestedPaths(root: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(join(root, dir), { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await nestedPaths(root, path)));
    else if (/\.ya?ml$/.test(entry.name) || !entry.isFile()) out.push(path);
  }
  return out;
}

/**
 * Why `validate` cannot check what it was asked to (exit 2): the root is not a configuration
 * repository's working tree, or a path does not exist or lies outside it. Null when all is well.
 */
export async function unusableInput(input: ValidateInput): Promise<string | null> {
  const root = resolve(input.root);
  const info = await stat(root).catch(() => null);
  if (info === null || !info.isDirectory()) return `${input.root}: no such directory (--root)`;
  const places = [OPTIONS_PATH, ...Object.values(KIND_DIRS)];
  const found = await Promise.all(places.map((place) => exists(join(root, place))));
  if (!found.some(Boolean)) {
    return `${root} is not a configuration repository: it has none of ${places.join(", ")} (give its root with --root)`;
  }
  for (const path of input.only) {
    const rel = relative(root, resolve(path));
    if (rel === ".." || rel.startsWith(`..${sep}`) || isAbsolute(rel))
      return `${path}: outside the repository at ${root}`;
    if (!(await exists(resolve(path)))) return `${path}: no such file or directory`;
  }
  return null;
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
