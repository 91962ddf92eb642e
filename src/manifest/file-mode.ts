/** Which git file modes a manifest may have (a module of its own: readers that parse nothing need it too). */

const REGULAR_MODES: ReadonlySet<string> = new Set(["100644", "100755"]);

/** True for the git modes of a regular file (100644, 100755): the only files a manifest may be. */
export function isRegularFileMode(mode: string): boolean {
  return REGULAR_MODES.has(mode);
}
