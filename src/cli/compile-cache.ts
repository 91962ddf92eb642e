/**
 * Node's module compile cache (`module.enableCompileCache`, Node 22.1 and later; the image runs a
 * newer Node): the modules a command loads after this call are compiled once and read back from
 * `NODE_COMPILE_CACHE` or `<tmpdir>/node-compile-cache` by the next start. On Node 20 there is no
 * such function and nothing happens. It never throws (a directory it cannot write just leaves
 * the cache off), and NODE_DISABLE_COMPILE_CACHE=1 turns it off.
 */
import * as nodeModule from "node:module";

type EnableCompileCache = (cacheDir?: string) => { status: number };

/** Turns the compile cache on where this Node has one; true when it asked Node to. */
export function enableCompileCache(): boolean {
  const enable = (nodeModule as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== "function") return false;
  try {
    enable();
  } catch {
    // A quiet optimization: a Node that throws here runs without it.
  }
  return true;
}
