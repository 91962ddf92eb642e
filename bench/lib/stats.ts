/** Summaries of repeated measurements: median and spread, never a single lucky run. */

/** Median, min, max and the 10th and 90th percentiles of some samples. */
export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
}

/** Percentile by linear interpolation between closest ranks (p in 0..1) of sorted samples. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * Math.min(1, Math.max(0, p));
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  const a = sorted[low] ?? Number.NaN;
  const b = sorted[high] ?? Number.NaN;
  return a + (b - a) * (rank - low);
}

/** Summarizes samples (throws on none: a figure without a measurement is not a figure). */
export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error("no samples to summarize");
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    p10: percentile(sorted, 0.1),
    p90: percentile(sorted, 0.9),
  };
}

/** A number with a sensible number of digits for a table (3 significant figures, at least integers). */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return "?";
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/**
 * `median unit (min–max)` for a few samples, `median unit (p10–p90)` for ten or more, where
 * the extremes say more about the machine than about the code.
 */
export function formatSummary(summary: Summary, unit: string): string {
  const spread =
    summary.n >= 10
      ? `p10–p90 ${formatNumber(summary.p10)}–${formatNumber(summary.p90)}`
      : `${formatNumber(summary.min)}–${formatNumber(summary.max)}`;
  return `${formatNumber(summary.median)} ${unit} (${spread}, n=${summary.n})`;
}
