/**
 * A branch's tip read straight from the ref files of git's "files" ref store: the loose ref,
 * else the branch's line in `packed-refs`, as git itself looks them up. For a one-shot command
 * that only asks whether a branch still points where it did (the list caches): no git process to
 * start. The answer is `undefined` whenever it is not plain (a reftable repository, a symbolic
 * ref, a file it cannot read or parse, a huge packed-refs): the caller then asks git. It is the
 * oid the ref holds, not peeled: equal to a commit git resolved before means the branch is there.
 */
import { existsSync } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";

/** Larger packed-refs files (hundreds of thousands of tags) are left to git. */
const MAX_PACKED_REFS_BYTES = 16 * 1024 * 1024;

const OID_LINE = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;
const BRANCH = /^[A-Za-z0-9._/-]+$/;

/**
 * The oid `refs/heads/<branch>` holds in the repository at `gitDir` (its common git directory),
 * null when the branch does not exist, undefined when the files cannot tell (see the module
 * comment).
 */
export async function readBranchFromFiles(
  gitDir: string,
  branch: string,
): Promise<string | null | undefined> {
  if (!BRANCH.test(branch) || branch.split("/").includes("..")) return undefined;
  if (existsSync(join(gitDir, "reftable"))) return undefined;
  const ref = `refs/heads/${branch}`;
  const loose = await readText(join(gitDir, ref));
  if (loose === undefined) return undefined;
  if (loose !== null) {
    const oid = loose.trim();
    return OID_LINE.test(oid) ? oid : undefined;
  }
  const packed = await readText(join(gitDir, "packed-refs"), MAX_PACKED_REFS_BYTES);
  if (packed === undefined) return undefined;
  return packed === null ? null : packedOid(packed, ref);
}

/** The oid of `ref` in the text of a packed-refs file; null when it is not there. Pure. */
export function packedOid(text: string, ref: string): string | null | undefined {
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#") || line.startsWith("^")) continue;
    const space = line.indexOf(" ");
    if (space < 0) return undefined; // not a packed-refs line: let git read it
    if (line.slice(space + 1) !== ref) continue;
    const oid = line.slice(0, space);
    return OID_LINE.test(oid) ? oid : undefined;
  }
  return null;
}

/** The file's text; null when it does not exist; undefined when it cannot be read or is too large. */
async function readText(path: string, maxBytes = 4096): Promise<string | null | undefined> {
  try {
    const info = await stat(path);
    if (!info.isFile() || info.size > maxBytes) return undefined;
    return await readFile(path, "utf8");
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? null : undefined;
  }
}
