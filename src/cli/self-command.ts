/** How to call this CLI again, as the user can type it: for "try next" hints. */
import { accessSync, constants, realpathSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * `cfs-gitops` when that name on PATH runs this very script (as `./setup` links it), else
 * `node /absolute/path/to/main.js`, which works from any folder.
 */
export function selfCommand(input: { script: string; path: string | undefined }): string {
  const script = resolve(input.script);
  const real = realpathOrNull(script);
  for (const dir of (input.path ?? "").split(delimiter)) {
    if (dir === "") continue;
    const candidate = join(dir, "cfs-gitops");
    if (isExecutable(candidate) && real !== null && realpathOrNull(candidate) === real) return "cfs-gitops";
  }
  return `node ${script}`;
}
