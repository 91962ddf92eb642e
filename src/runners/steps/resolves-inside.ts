/** Whether a path, with every symlink followed, lands inside one of some directories. */
import { realpath } from "node:fs/promises";
import { isAbsolute, relative } from "node:path";

/** Where `path` resolves: inside one of `roots` (symlinks followed on both sides), outside them all, or nowhere. */
export async function resolvesInside(
  path: string,
  roots: readonly string[],
): Promise<"inside" | "outside" | "missing"> {
  const real = await realpath(path).catch(() => null);
  if (real === null) return "missing";
  for (const root of roots) {
    const realRoot = await realpath(root).catch(() => null);
    if (realRoot === null) continue;
    const inside = relative(realRoot, real);
    if (inside !== "" && inside !== ".." && !inside.startsWith("../") && !isAbsolute(inside)) return "inside";
  }
  return "outside";
}
