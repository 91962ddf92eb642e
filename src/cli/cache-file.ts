/**
 * A cache file the CLI keeps beside a repository (`<git dir>/cfs-gitops/`), the way git keeps its
 * index and commit-graph: one header line (format, checksum and length of the body) and a JSON
 * body. Reading it never trusts a file it cannot check: another format, a wrong checksum, a
 * truncated or unparsable file all read as "no cache", and the caller rebuilds. Writes go to a
 * temporary file renamed over the old one, so a reader (or a second CLI writing at the same time)
 * sees a whole file, the old one or the new one; a file over the size limit is not kept.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

/** What a cache file says of itself on its first line. */
interface Header {
  format: string;
  sha1: string;
  bytes: number;
}

/** Largest body kept (64 MiB: summaries of a few hundred thousand sessions). */
export const MAX_CACHE_BYTES = 64 * 1024 * 1024;

/** The body of `file` if it is whole and of `format`; null otherwise (missing, damaged, another format). */
export async function readCacheFile(file: string, format: string): Promise<unknown> {
  let data: Buffer;
  try {
    data = await readFile(file);
  } catch {
    return null;
  }
  const newline = data.indexOf(0x0a);
  if (newline < 0) return null;
  const header = parseJson(data.subarray(0, newline)) as Partial<Header> | null;
  const body = data.subarray(newline + 1);
  if (header?.format !== format || header.bytes !== body.length || header.sha1 !== sha1(body)) return null;
  return parseJson(body);
}

/**
 * Writes `value` as the cache file of `format` (atomically, see the module comment). Returns false
 * when it was not kept: too large, or the folder cannot be written (a read-only clone); the
 * caller goes on without a cache.
 */
export async function writeCacheFile(input: {
  file: string;
  format: string;
  value: unknown;
  maxBytes?: number;
}): Promise<boolean> {
  const { file, format } = input;
  const body = Buffer.from(JSON.stringify(input.value), "utf8");
  if (body.length > (input.maxBytes ?? MAX_CACHE_BYTES)) {
    await rm(file, { force: true }).catch(() => undefined);
    return false;
  }
  const header: Header = { format, sha1: sha1(body), bytes: body.length };
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await mkdir(dirname(file), { recursive: true });
    await writeFile(temporary, Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), body]));
    await rename(temporary, file);
    return true;
  } catch {
    await rm(temporary, { force: true }).catch(() => undefined);
    return false;
  }
}

function sha1(data: Buffer): string {
  return createHash("sha1").update(data).digest("hex");
}

function parseJson(data: Buffer): unknown {
  try {
    return JSON.parse(data.toString("utf8")) as unknown;
  } catch {
    return null;
  }
}
