/**
 * The remote a work tree follows: its branch's upstream remote, else `origin` (follow-clone.ts
 * works through it).
 */
import { isAbsolute, resolve } from "node:path";
import { runGit } from "../git/run-git.js";
import { plainBareGitDir } from "../git/plain-repository.js";

/** The remote a clone follows. */
export interface CloneRemote {
  /** The remote's name (`origin`). */
  name: string;
  /** Its fetch URL as git would use it (`url.<base>.insteadOf` applied); a path is absolute. */
  url: string;
}

/**
 * The remote of a work tree: the checked-out branch's upstream remote, else `origin`; null for a
 * bare repository (it is served, not worked in) or a work tree without that remote.
 */
export async function findCloneRemote(path: string): Promise<CloneRemote | null> {
  // A bare repository (the usual `--repo /srv/site.git`) is known by its shape: no git to start.
  if (plainBareGitDir(path) !== null) return null;
  const head = await git(path, ["rev-parse", "--is-bare-repository", "--show-toplevel"]);
  const [bare, top] = head.split("\n");
  if (bare !== "false" || !top) return null;
  const branch = await git(path, ["symbolic-ref", "--quiet", "--short", "HEAD"]);
  const upstream = branch === "" ? "" : await git(path, ["config", "--get", `branch.${branch}.remote`]);
  const name = upstream !== "" && upstream !== "." ? upstream : "origin";
  const names = (await git(path, ["remote"])).split("\n");
  if (!names.includes(name)) return null;
  const url = await git(path, ["ls-remote", "--get-url", name]);
  return { name, url: absoluteRemote(url, top) };
}

/** A remote given as a relative path is relative to the work tree, as git reads it there. */
function absoluteRemote(url: string, top: string): string {
  if (url.includes("://") || isAbsolute(url) || /^[^/]+:/.test(url)) return url;
  return resolve(top, url);
}

async function git(cwd: string, args: string[]): Promise<string> {
  const { stdout } = await runGit({ cwd, args, okExitCodes: [1, 2, 128] });
  return stdout.toString("utf8").trim();
}
