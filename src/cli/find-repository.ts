/**
 * The repository a command works on when `--repo` names none, found the way git finds it: the
 * nearest folder, from the current one upwards, holding `.git` (a folder, or a file in a linked
 * work tree or submodule). Files only, no git process (clone-remote.ts asks git for a work
 * tree's remote).
 */
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { looksBare } from "../git/plain-repository.js";

/** The work tree (or bare repository) at or above `start`; null when there is none. */
export function findRepository(start: string): string | null {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, ".git"))) return dir;
    if (looksBare(dir)) return dir;
    if (dirname(dir) === dir) return null;
  }
}
