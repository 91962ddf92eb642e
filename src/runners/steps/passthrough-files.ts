/**
 * Defence in depth for `ansible.passthrough`, right before an ansible step builds its argv: every
 * file an `-e @<file>` makes ansible-playbook read must resolve (symlinks followed) to a file inside
 * one of the session's own clones. The manifest validator refuses the other forms already; this
 * catches a symlink in a clone that points out of it, and a RunSpec that skipped validation.
 */
import { join } from "node:path";
import type { PlannedLayer } from "../../api/index.js";
import { extraVarsFileProblem, extraVarsFiles } from "../../manifest/passthrough.js";
import { resolvesInside } from "./resolves-inside.js";
import { HOSTS_DIR, layerDir } from "./work-layout.js";

/** What checkPassthroughFiles looks at. */
export interface PassthroughFilesInput {
  /** The step's name, for the reason. */
  step: string;
  /** The passthrough argv (parsePassthrough's). */
  passthrough: readonly string[];
  /** The session's work directory, ansible-playbook's working directory. */
  workDir: string;
  /** The session's layers: their clones are `layer<index>/`. */
  layers: readonly Pick<PlannedLayer, "index">[];
}

/** Why the step must not run (an @file outside the session's clones), or null when every @file is inside one. */
export async function checkPassthroughFiles(input: PassthroughFilesInput): Promise<string | null> {
  const clones = [...input.layers.map((layer) => layerDir(layer.index)), HOSTS_DIR.replace(/\/$/, "")];
  for (const file of extraVarsFiles(input.passthrough)) {
    const problem = extraVarsFileProblem("-e", file);
    if (problem !== null) return `${input.step}: ansible.passthrough: ${problem}`;
    const where = await cloneOf({ workDir: input.workDir, file, clones });
    if (where !== null) return `${input.step}: ansible.passthrough: -e @${file} ${where}`;
  }
  return null;
}

/** Null when `file` resolves inside one of `clones`; else what is wrong with it. */
async function cloneOf(input: { workDir: string; file: string; clones: string[] }): Promise<string | null> {
  const clones = input.clones.map((clone) => join(input.workDir, clone));
  const where = await resolvesInside(join(input.workDir, input.file), clones);
  if (where === "inside") return null;
  if (where === "missing") return "does not exist in the session's clones";
  return "resolves to a file outside the session's clones (a symlink?): refused, it would read a file of the controller's host";
}
