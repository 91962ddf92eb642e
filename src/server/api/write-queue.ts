/**
 * The REST API's writes, one at a time in the order they came, with writes of the same kind that
 * wait together coalesced: while one write runs, the creates that arrive join one batch (per key)
 * that runs as one commit when its turn comes. A batch takes
 * writes only until it starts, so a write never lands before one that was answered before it was
 * sent. Each item is settled on its own: one refused create does not fail the others.
 */

/** One item's outcome in a batch: its value, or the error its caller gets. */
export type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** Runs a batch: one outcome per item, in the items' order. */
export type BatchWork<I, R> = (items: readonly I[]) => Promise<ReadonlyArray<Settled<R>>>;

interface Waiting<I, R> {
  item: I;
  resolve: (value: R) => void;
  reject: (error: unknown) => void;
}

interface Batch<I, R> {
  work: BatchWork<I, R>;
  waiting: Array<Waiting<I, R>>;
}

/** A queue of writes that runs one at a time and coalesces waiting writes of one key. */
export class WriteQueue {
  private tail: Promise<unknown> = Promise.resolve();
  /** Batches queued and not started, by key: the only ones new items may join. */
  private readonly open = new Map<string, Batch<never, never>>();

  /** Runs `work` after every write queued before it. */
  run<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work);
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Queues `item` into the waiting batch of `key` (or a new one, run by `work` when its turn
   * comes) and answers with the item's own outcome.
   */
  batch<I, R>(input: { key: string; item: I; work: BatchWork<I, R> }): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const open = this.open.get(input.key) as Batch<I, R> | undefined;
      if (open) {
        open.waiting.push({ item: input.item, resolve, reject });
        return;
      }
      const batch: Batch<I, R> = { work: input.work, waiting: [{ item: input.item, resolve, reject }] };
      this.open.set(input.key, batch as unknown as Batch<never, never>);
      void this.run(async () => {
        this.open.delete(input.key);
        await settleBatch(batch);
      });
    });
  }

  /** Resolves once every write queued so far has ended. */
  async idle(): Promise<void> {
    await this.tail;
  }
}

async function settleBatch<I, R>(batch: Batch<I, R>): Promise<void> {
  const { waiting } = batch;
  let outcomes: ReadonlyArray<Settled<R>>;
  try {
    outcomes = await batch.work(waiting.map((w) => w.item));
  } catch (error) {
    for (const w of waiting) w.reject(error);
    return;
  }
  for (const [i, w] of waiting.entries()) {
    const outcome = outcomes[i];
    if (outcome === undefined) w.reject(new Error("the batch gave no answer for this write"));
    else if (outcome.ok) w.resolve(outcome.value);
    else w.reject(outcome.error);
  }
}

/** Runs `work` and keeps its outcome (value or error) instead of throwing. */
export async function settle<R>(work: () => Promise<R>): Promise<Settled<R>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { ok: false, error };
  }
}
