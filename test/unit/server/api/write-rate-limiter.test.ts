import { describe, expect, it } from "vitest";
import { WriteRateLimiter } from "../../../../src/server/api/index.js";

describe("WriteRateLimiter", () => {
  it("allows a burst, then one write per 1/rate seconds, per caller", () => {
    let now = 0;
    const limiter = new WriteRateLimiter({ perSecond: 2, burst: 3, now: () => now });
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([null, null, null]);
    expect(limiter.take("a")).toBe(1);
    expect(limiter.take("b")).toBeNull();
    now += 500;
    expect(limiter.take("a")).toBeNull();
    expect(limiter.take("a")).toBe(1);
    now += 60_000;
    expect([limiter.take("a"), limiter.take("a"), limiter.take("a"), limiter.take("a")]).toEqual([
      null,
      null,
      null,
      1,
    ]);
  });

  it("says how long to wait when the rate is slow", () => {
    const limiter = new WriteRateLimiter({ perSecond: 0.1, burst: 1, now: () => 0 });
    expect(limiter.take("a")).toBeNull();
    expect(limiter.take("a")).toBe(10);
  });
});
