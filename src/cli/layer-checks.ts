/**
 * The checks the controller's run makes on a configuration's layers, made before anything runs so
 * `validate` reports them: a clone URL whose transport git refuses (`ext::`, an unknown scheme), a
 * branch that is not a valid branch name, a playbook that is not a path inside the layer's clone.
 */
import type { ConfigurationManifest } from "../api/index.js";
import { layerPlaybookPath } from "../runners/steps/work-layout.js";

/** One problem of a layer, at a JSON pointer into the manifest. */
export interface LayerIssue {
  pointer: string;
  message: string;
}

/** URL schemes git clones from by default (protocol.allow); scp-like and local paths are allowed too. */
const SCHEMES: ReadonlySet<string> = new Set(["https", "http", "ssh", "git", "file", "git+ssh", "ssh+git"]);

/** Every layer problem of a (schema-valid) configuration. */
export function layerIssues(configuration: ConfigurationManifest): LayerIssue[] {
  const issues: LayerIssue[] = [];
  configuration.layers.forEach((layer, index) => {
    const at = `/layers/${index}`;
    issues.push(...sourceIssues(at, layer));
    if (layerPlaybookPath({ index, playbook: layer.playbook }) === null)
      issues.push({
        pointer: `${at}/playbook`,
        message: `playbook ${layer.playbook} is not a path inside the layer's repository`,
      });
  });
  const inventory = configuration.additional_inventory;
  if (inventory !== undefined) issues.push(...sourceIssues("/additional_inventory", inventory));
  return issues;
}

function sourceIssues(at: string, source: { clone_url?: string; branch?: string }): LayerIssue[] {
  const issues: LayerIssue[] = [];
  // A layer with `source:` clones the source's clone_url, checked where the source is.
  const transport = source.clone_url === undefined ? null : transportProblem(source.clone_url);
  if (transport !== null) issues.push({ pointer: `${at}/clone_url`, message: transport });
  if (source.branch !== undefined && !isBranchName(source.branch))
    issues.push({
      pointer: `${at}/branch`,
      message: `branch ${JSON.stringify(source.branch)} is not a valid branch name (see git check-ref-format)`,
    });
  return issues;
}

/** Why git would refuse to clone `url`, or null. */
export function transportProblem(url: string): string | null {
  const helper = /^([A-Za-z][A-Za-z0-9+.-]*)::/.exec(url);
  if (helper !== null)
    return `clone_url uses git's "${helper[1] ?? ""}::" transport, which is refused: use an https, ssh, git or file URL`;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url)?.[1]?.toLowerCase();
  if (scheme !== undefined && !SCHEMES.has(scheme))
    return `clone_url uses the "${scheme}" scheme, which git does not clone from: use an https, ssh, git or file URL`;
  if (url.startsWith("-")) return "clone_url must not start with a dash";
  return null;
}

/** Whether `refs/heads/<branch>` is a valid ref name (the rules of git check-ref-format). */
export function isBranchName(branch: string): boolean {
  if (branch === "" || branch === "@" || branch.startsWith("-")) return false;
  if ([...branch].some((c) => c <= " " || c === "\x7f") || /[~^:?*[\\]/.test(branch)) return false;
  if (branch.includes("..") || branch.includes("@{") || branch.includes("//")) return false;
  if (branch.startsWith("/") || branch.endsWith("/") || branch.endsWith(".")) return false;
  return branch.split("/").every((part) => !part.startsWith(".") && !part.endsWith(".lock"));
}
