import { describe, expect, it } from "vitest";
import type { Runner } from "../../../src/runners/types.js";
import { instrumentRunner } from "../../../src/server/instrument.js";
import { ControllerMetrics } from "../../../src/server/metrics.js";

function runner(startConcurrency?: number): Runner {
  return {
    start: () => Promise.resolve(),
    remove: () => Promise.resolve(),
    observe: () => Promise.resolve(new Map()),
    onChange: () => undefined,
    readLog: () => Promise.resolve(null),
    isReady: () => true,
    close: () => Promise.resolve(),
    ...(startConcurrency === undefined ? {} : { startConcurrency }),
  };
}

describe("instrumentRunner", () => {
  const input = {
    metrics: new ControllerMetrics({ processMetrics: false }),
    commitTime: () => Promise.resolve(null),
  };

  it("keeps the runner's startConcurrency, so the controller still starts that many runs at once", () => {
    expect(instrumentRunner(runner(16), input).startConcurrency).toBe(16);
  });

  it("leaves it out for a runner without one (one start at a time)", () => {
    expect(instrumentRunner(runner(), input).startConcurrency).toBeUndefined();
  });
});
