/**
 * What `validate` checks, read three ways into the same ManifestTree the write commands and `diff`
 * use: the working tree (default), the index (`--staged`: exactly what `git commit` will record),
 * or a commit (`--against REF`: the side a change is compared with). And where the configuration
 * repository is when `--root` is not given: found from the current folder, as git finds its own.
 */
import { lstat, readdir, readFile, readlink, realpath } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { pino } from "pino";
import { KIND_DIRS, OPTIONS_PATH } from "../api/index.js";
import { createCatFileReader } from "../git/cat-file-reader.js";
import { hashBlob } from "../git/fast-import.js";
import { runGit } from "../git/run-git.js";
import type { BlobRead, ChangedFile } from "../git/types.js";
import { CliError } from "./errors.js";
import { readManifestTree, type ManifestTree } from "./repo-tree.js";

/** The folders and file that make a folder a configuration repository. */
export const CONFIG_MARKERS = [OPTIONS_PATH, ...Object.values(KIND_DIRS)];

/** True when `dir` holds one of the markers. */
export async function isConfigRoot(dir: string): Promise<boolean> {
  const found = await Promise.all(CONFIG_MARKERS.map((marker) => exists(join(dir, marker))));
  return found.some(Boolean);
}

/**
 * The configuration repository the current folder is in: inside a git work tree, the nearest
 * folder at or above `cwd` (up to the work tree's top) that holds sessions/, configurations/,
 * components/ or cfs.yaml, else the top; outside one, `cwd` itself (the caller reports a folder
 * that is not a configuration repository).
 */
export async function findConfigRoot(cwd: string): Promise<string> {
  const here = await realpath(cwd).catch(() => resolve(cwd));
  const top = await gitTopLevel(here);
  if (top === null) return here;
  for (let dir = here; dir.startsWith(top); dir = dirname(dir)) {
    if (await isConfigRoot(dir)) return dir;
    if (dir === top || dirname(dir) === dir) break;
  }
  return top;
}

/** The top of the git work tree `dir` is in, or null outside one. */
export async function gitTopLevel(dir: string): Promise<string | null> {
  const out = await runGit({ args: ["rev-parse", "--show-toplevel"], cwd: dir, okExitCodes: [128] }).catch(
    () => null,
  );
  if (out === null || out.exitCode !== 0) return null;
  return out.stdout.toString("utf8").trim() || null;
}

/** The manifests of the working tree at `root`. */
export async function readWorkingTree(root: string): Promise<ManifestTree> {
  const entries: ChangedFile[] = [];
  const contents = new Map<string, Buffer>();
  for (const path of await workingTreePaths(root)) {
    const { mode, bytes } = await readEntry(join(root, path));
    const oid = hashBlob(bytes);
    contents.set(oid, bytes);
    entries.push({ path, status: "added", oid, oldOid: null, mode });
  }
  return readManifestTree({
    source: {
      diff: () => Promise.resolve(entries),
      readBlobs: (oids, maxBytes = Infinity) => Promise.resolve(blobsOf(contents, oids, maxBytes)),
    },
    commit: "working-tree",
  });
}

async function readEntry(full: string): Promise<{ mode: string; bytes: Buffer }> {
  const info = await lstat(full);
  if (info.isSymbolicLink()) return { mode: "120000", bytes: Buffer.from(await readlink(full)) };
  if (info.isFile()) return { mode: "100644", bytes: await readFile(full) };
  return { mode: "040000", bytes: Buffer.alloc(0) };
}

function blobsOf(
  contents: Map<string, Buffer>,
  oids: readonly string[],
  maxBytes: number,
): Map<string, BlobRead> {
  const out = new Map<string, BlobRead>();
  for (const oid of oids) {
    const data = contents.get(oid);
    if (data) out.set(oid, { oid, size: data.length, data: data.length > maxBytes ? null : data });
  }
  return out;
}

/** Where a git-backed read looks: the configuration root inside a git work tree. */
export interface GitPlace {
  root: string;
}

/** The manifests staged in the index (`git ls-files -s`), read with `git cat-file`. */
export async function readStaged(place: GitPlace): Promise<ManifestTree> {
  const out = await runGit({ args: ["ls-files", "-s", "-z", "--", "."], cwd: place.root });
  const entries = parseEntries(out.stdout, (head) => {
    const [mode, oid, stage] = head.split(" ");
    return stage === "0" || stage === undefined ? { mode: mode ?? "", oid: oid ?? "" } : null;
  });
  return readGitTree({ place, entries, commit: "index" });
}

/** The manifests of a commit (`git ls-tree -r REF`), read with `git cat-file`. */
export async function readCommit(place: GitPlace, ref: string): Promise<ManifestTree> {
  const resolved = await runGit({
    args: ["rev-parse", "--verify", "--quiet", `${ref}^{commit}`],
    cwd: place.root,
    okExitCodes: [1, 128],
  });
  const commit = resolved.stdout.toString("utf8").trim();
  if (resolved.exitCode !== 0 || commit === "") throw new CliError(`--against ${ref}: no such commit`, 2);
  const out = await runGit({ args: ["ls-tree", "-r", "-z", commit, "--", "."], cwd: place.root });
  const entries = parseEntries(out.stdout, (head) => {
    const [mode, type, oid] = head.split(" ");
    return type === "blob" || type === "commit" ? { mode: mode ?? "", oid: oid ?? "" } : null;
  });
  return readGitTree({ place, entries, commit });
}

/** `<head>\t<path>\0` records (ls-files -s, ls-tree) as entries; `pick` reads mode and oid from the head. */
function parseEntries(
  stdout: Buffer,
  pick: (head: string) => { mode: string; oid: string } | null,
): ChangedFile[] {
  const out: ChangedFile[] = [];
  for (const record of stdout.toString("utf8").split("\0")) {
    const tab = record.indexOf("\t");
    if (tab < 0) continue;
    const picked = pick(record.slice(0, tab));
    if (picked) out.push({ path: record.slice(tab + 1), status: "added", oldOid: null, ...picked });
  }
  return out;
}

async function readGitTree(input: {
  place: GitPlace;
  entries: ChangedFile[];
  commit: string;
}): Promise<ManifestTree> {
  const gitDir = await runGit({ args: ["rev-parse", "--absolute-git-dir"], cwd: input.place.root });
  const reader = createCatFileReader({
    gitDir: gitDir.stdout.toString("utf8").trim(),
    log: pino({ level: "silent" }),
  });
  try {
    return await readManifestTree({
      source: {
        diff: () => Promise.resolve(input.entries),
        readBlobs: (oids, max) => reader.readBlobs(oids, max),
      },
      commit: input.commit,
    });
  } finally {
    await reader.close();
  }
}

/** Paths of the working tree the controller would read (see nestedPaths for folders under sessions/). */
async function workingTreePaths(root: string): Promise<string[]> {
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

/** True when something (a file, folder or link) is at `path`. */
export async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
