/** Finds a program the way a shell would, without running one. */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { delimiter, isAbsolute, join } from "node:path";

/** Where to look for a program. */
export interface FindExecutableOptions {
  name: string;
  /** An explicit path (absolute, or relative to the working directory); when given, PATH is not searched. */
  explicit?: string;
  /** The PATH to search. */
  pathEnv: string;
}

/** The path of an executable file named `name` on `pathEnv` (or at `explicit`), or null when there is none. */
export async function findExecutable(options: FindExecutableOptions): Promise<string | null> {
  if (options.explicit !== undefined)
    return (await isExecutableFile(options.explicit)) ? options.explicit : null;
  for (const dir of options.pathEnv.split(delimiter)) {
    if (dir === "" || !isAbsolute(dir)) continue;
    const candidate = join(dir, options.name);
    if (await isExecutableFile(candidate)) return candidate;
  }
  return null;
}

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
