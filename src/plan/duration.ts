/** Durations as CFS writes them (`30m`, `6h`, `1d`, `2w`). */

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds of a CFS-style duration (`7d`, `24h`, `30m`, `2w`); null when it is not one. Empty -> null. */
export function parseDuration(text: string): number | null {
  const match = /^([0-9]+)([smhdwSMHDW])$/.exec(text.trim());
  if (!match) return null;
  const [, amount, unit] = match;
  const ms = UNIT_MS[(unit ?? "").toLowerCase()];
  return ms === undefined ? null : Number(amount) * ms;
}

/** RFC 3339 timestamp with second precision, the form CFS prints (`2023-09-06T15:34:26Z`). */
export function formatTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
