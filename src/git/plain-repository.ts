/**
 * A plain bare repository, known by its files without starting git: the usual `--repo
 * /srv/site.git`. It looks like one (HEAD, objects/ and refs/), has no `.git`, is not a linked
 * work tree's git directory (no `commondir`), and its config sets no extension (so SHA-1 objects
 * and the files ref store) and includes no other file. Anything less plain is left to git.
 */
import { existsSync, readFileSync, realpathSync, statSync } from "node:fs";
import { join } from "node:path";
import type { RepositoryInfo } from "./repository.js";

/** A config larger than this is not plain (nor read). */
const MAX_CONFIG_BYTES = 64 * 1024;

/** A bare repository looks like one: HEAD, objects/ and refs/ side by side. */
export function looksBare(dir: string): boolean {
  return ["HEAD", "objects", "refs"].every((name) => existsSync(join(dir, name)));
}

/** The git directory of `path` (its real path) when it is plainly a bare repository; null otherwise. */
export function plainBareGitDir(path: string): string | null {
  if (!looksBare(path) || existsSync(join(path, ".git")) || existsSync(join(path, "commondir"))) return null;
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** What `git rev-parse --git-common-dir --show-object-format` says of a plain bare repository; null otherwise. */
export function plainRepositoryInfo(path: string): RepositoryInfo | null {
  const gitDir = plainBareGitDir(path);
  if (gitDir === null) return null;
  try {
    const config = join(gitDir, "config");
    if (statSync(config).size > MAX_CONFIG_BYTES) return null;
    return /extensions|include/i.test(readFileSync(config, "utf8")) ? null : { gitDir, format: "sha1" };
  } catch {
    return null;
  }
}
