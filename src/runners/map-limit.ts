/** Bounded concurrency for I/O the runners and the controller do on many items at once. */

/** Options of mapLimit. */
export interface MapLimitOptions<T, R> {
  items: readonly T[];
  /** At most this many calls of `work` in flight (at least 1). */
  limit: number;
  work: (item: T, index: number) => Promise<R>;
}

/**
 * `work` on every item, at most `limit` at a time; results in the order of `items`. The first
 * failure is thrown once the calls in flight have settled (no new call starts after it).
 */
export async function mapLimit<T, R>(options: MapLimitOptions<T, R>): Promise<R[]> {
  const { items, work } = options;
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async (): Promise<void> => {
    while (!failed && next < items.length) {
      const index = next++;
      try {
        results[index] = await work(items[index] as T, index);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const workers = Array.from({ length: Math.max(1, Math.min(options.limit, items.length)) }, worker);
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((outcome) => outcome.status === "rejected");
  if (rejected !== undefined) throw rejected.reason;
  return results;
}
