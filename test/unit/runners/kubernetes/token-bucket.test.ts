import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../../../src/runners/kubernetes/rate-limiter.js";
import {
  fullBucket,
  isValidRate,
  reserveToken,
  type TokenBucket,
  type TokenRate,
} from "../../../../src/runners/kubernetes/token-bucket.js";

/** The waits of `count` reservations all made at `now`, from a full bucket made at 0. */
function waitsAt(rate: TokenRate, times: readonly number[]): number[] {
  let bucket = fullBucket(rate, 0);
  return times.map((now) => {
    const next = reserveToken(bucket, { rate, now });
    bucket = next.bucket;
    return next.waitMs;
  });
}

describe("reserveToken", () => {
  it("lets a burst go at once, then spaces the rest 1/qps apart", () => {
    expect(waitsAt({ qps: 10, burst: 3 }, [0, 0, 0, 0, 0, 0])).toEqual([0, 0, 0, 100, 200, 300]);
  });

  it("refills at qps tokens a second, never beyond the burst", () => {
    const rate = { qps: 10, burst: 2 };
    // Two taken at 0; at 100 ms one token is back; after 10 s of rest only `burst` are.
    expect(waitsAt(rate, [0, 0, 100, 100])).toEqual([0, 0, 0, 100]);
    expect(waitsAt(rate, [0, 0, 10_000, 10_000, 10_000])).toEqual([0, 0, 0, 0, 100]);
  });

  it("is not fooled by a clock that goes back", () => {
    const bucket: TokenBucket = { tokens: 0, at: 1_000 };
    const next = reserveToken(bucket, { rate: { qps: 5, burst: 5 }, now: 500 });
    expect(next.waitMs).toBe(200);
    expect(next.bucket.at).toBe(1_000);
  });

  it("never lets more than burst + qps * t requests go within any t seconds of the start (property)", () => {
    fc.assert(
      fc.property(
        fc.record({ qps: fc.integer({ min: 1, max: 500 }), burst: fc.integer({ min: 1, max: 200 }) }),
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 300 }),
        (rate, offsets) => {
          const times = [...offsets].sort((a, b) => a - b);
          const goes = waitsAt(rate, times).map((wait, i) => (times[i] ?? 0) + wait);
          // Requests go in the order they reserved, and no window from 0 holds more than allowed.
          for (const [i, at] of goes.entries()) {
            expect(at).toBeGreaterThanOrEqual(goes[i - 1] ?? 0);
            expect(i + 1).toBeLessThanOrEqual(rate.burst + (at * rate.qps) / 1000 + 1e-6);
          }
        },
      ),
    );
  });

  it("accepts only positive rates and whole bursts", () => {
    expect(isValidRate({ qps: 50, burst: 100 })).toBe(true);
    expect(isValidRate({ qps: 0.5, burst: 1 })).toBe(true);
    expect(isValidRate({ qps: 0, burst: 1 })).toBe(false);
    expect(isValidRate({ qps: 5, burst: 0 })).toBe(false);
    expect(isValidRate({ qps: 5, burst: 1.5 })).toBe(false);
    expect(isValidRate({ qps: Number.POSITIVE_INFINITY, burst: 1 })).toBe(false);
  });
});

describe("RateLimiter", () => {
  it("sleeps for the reservation's wait with the injected sleep and clock", async () => {
    const slept: number[] = [];
    const limiter = new RateLimiter({
      rate: { qps: 4, burst: 2 },
      now: () => 0,
      sleep: (ms) => {
        slept.push(ms);
        return Promise.resolve();
      },
    });
    await Promise.all([limiter.take(), limiter.take(), limiter.take(), limiter.take()]);
    expect(slept).toEqual([250, 500]);
  });
});
