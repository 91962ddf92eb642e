/** `a, b, c and 4 more`: a few names and a count, so a message stays one readable line. Pure. */
export function nameList(names: readonly string[], shown = 5): string {
  if (names.length <= shown) return names.join(", ");
  return `${names.slice(0, shown).join(", ")} and ${names.length - shown} more`;
}
