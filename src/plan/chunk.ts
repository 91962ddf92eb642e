/** `items` in consecutive parts of `size` (the last one shorter). A leaf module: the CLI's reads load it alone. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let start = 0; start < items.length; start += size) out.push(items.slice(start, start + size));
  return out;
}
