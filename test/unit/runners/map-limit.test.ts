import { describe, expect, it } from "vitest";
import { mapLimit } from "../../../src/runners/map-limit.js";

/** A promise settled by hand. */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = (): void => undefined;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

describe("mapLimit", () => {
  it("keeps at most `limit` calls in flight and returns results in the order of the items", async () => {
    const gates = Array.from({ length: 6 }, deferred);
    let inFlight = 0;
    let most = 0;
    const result = mapLimit({
      items: [0, 1, 2, 3, 4, 5],
      limit: 2,
      work: async (item) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await gates[item]?.promise;
        inFlight--;
        return item * 10;
      },
    });
    for (const gate of [...gates].reverse()) gate.resolve();
    expect(await result).toEqual([0, 10, 20, 30, 40, 50]);
    expect(most).toBe(2);
  });

  it("throws the first failure and starts nothing after it", async () => {
    const started: number[] = [];
    const run = mapLimit({
      items: [0, 1, 2, 3],
      limit: 1,
      work: (item) => {
        started.push(item);
        return item === 1 ? Promise.reject(new Error("boom")) : Promise.resolve(item);
      },
    });
    await expect(run).rejects.toThrow("boom");
    expect(started).toEqual([0, 1]);
  });

  it("treats a limit below one as one, and an empty list as nothing to do", async () => {
    expect(await mapLimit({ items: [1, 2], limit: 0, work: (n) => Promise.resolve(n + 1) })).toEqual([2, 3]);
    expect(await mapLimit({ items: [], limit: 4, work: () => Promise.resolve(1) })).toEqual([]);
  });
});
