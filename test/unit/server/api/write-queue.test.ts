import { describe, expect, it } from "vitest";
import { WriteQueue, settle, type Settled } from "../../../../src/server/api/write-queue.js";

/** A write that runs until `release()` is called. */
function gate(): { promise: Promise<void>; release: () => void } {
  let release = () => {};
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

const echo = (items: readonly string[]): Promise<Array<Settled<string>>> =>
  Promise.resolve(items.map((item) => ({ ok: true, value: item.toUpperCase() })));

describe("WriteQueue", () => {
  it("runs a lone batched write at once, as a batch of one", async () => {
    const queue = new WriteQueue();
    const seen: string[][] = [];
    const answer = await queue.batch({
      key: "k",
      item: "a",
      work: async (items) => (seen.push([...items]), echo(items)),
    });
    expect(answer).toBe("A");
    expect(seen).toEqual([["a"]]);
  });

  it("coalesces the writes of one key that wait behind a running write, and answers each its own", async () => {
    const queue = new WriteQueue();
    const busy = gate();
    const order: string[] = [];
    const first = queue.run(async () => (await busy.promise, order.push("first")));
    const batches: string[][] = [];
    const work = async (items: readonly string[]) => (batches.push([...items]), echo(items));
    const answers = ["a", "b", "c"].map((item) => queue.batch({ key: "alice", item, work }));
    const other = queue.batch({ key: "bob", item: "z", work });
    busy.release();
    expect(await Promise.all([first, ...answers, other])).toEqual([1, "A", "B", "C", "Z"]);
    expect(batches).toEqual([["a", "b", "c"], ["z"]]);
  });

  it("starts a new batch for writes that arrive once the waiting one has started", async () => {
    const queue = new WriteQueue();
    const inside = gate();
    const batches: string[][] = [];
    let started = () => {};
    const running = new Promise<void>((resolve) => (started = resolve));
    const work = async (items: readonly string[]) => {
      batches.push([...items]);
      started();
      await inside.promise;
      return echo(items);
    };
    const a = queue.batch({ key: "k", item: "a", work });
    await running;
    const b = queue.batch({ key: "k", item: "b", work });
    const c = queue.batch({ key: "k", item: "c", work });
    inside.release();
    expect(await Promise.all([a, b, c])).toEqual(["A", "B", "C"]);
    expect(batches).toEqual([["a"], ["b", "c"]]);
  });

  it("keeps the order of writes: a batch queued after a plain write runs after it", async () => {
    const queue = new WriteQueue();
    const order: string[] = [];
    const busy = gate();
    const first = queue.run(async () => (await busy.promise, order.push("first")));
    const batch = queue.batch({
      key: "k",
      item: "a",
      work: (items) => (order.push("batch"), echo(items)),
    });
    const last = queue.run(() => Promise.resolve(order.push("last")));
    busy.release();
    await Promise.all([first, batch, last]);
    expect(order).toEqual(["first", "batch", "last"]);
  });

  it("rejects only the items the batch refused, and every item when the batch itself throws", async () => {
    const queue = new WriteQueue();
    const busy = gate();
    const blocker = queue.run(() => busy.promise);
    const picky = (items: readonly string[]): Promise<Array<Settled<string>>> =>
      Promise.resolve(
        items.map((item) =>
          item === "bad" ? { ok: false, error: new Error(`no ${item}`) } : { ok: true, value: item },
        ),
      );
    const answers = ["ok1", "bad", "ok2"].map((item) =>
      settle(() => queue.batch({ key: "p", item, work: picky })),
    );
    const broken = ["x", "y"].map((item) =>
      settle(() => queue.batch({ key: "b", item, work: () => Promise.reject(new Error("disk full")) })),
    );
    busy.release();
    await blocker;
    const results = await Promise.all([...answers, ...broken]);
    expect(results.map((r) => (r.ok ? r.value : (r.error as Error).message))).toEqual([
      "ok1",
      "no bad",
      "ok2",
      "disk full",
      "disk full",
    ]);
    // The queue goes on after failures.
    expect(await queue.run(() => Promise.resolve("after"))).toBe("after");
  });
});
