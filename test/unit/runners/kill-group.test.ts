import { describe, expect, it } from "vitest";
import type { Sleep } from "../../../src/git/sleep.js";
import { killGroup, type ProcessGroups } from "../../../src/runners/local/processes.js";

/** A fake clock whose sleep moves it forward at once, so grace periods take no real time. */
function fakeClock() {
  const clock = { now: 0, sleeps: [] as number[] };
  const sleep: Sleep = (ms) => {
    clock.sleeps.push(ms);
    clock.now += ms;
    return Promise.resolve();
  };
  return { clock, sleep };
}

/**
 * A fake process group on that clock: it exits `exitsAfterTermMs` after SIGTERM (never, for null),
 * and at once on SIGKILL. Every signal is recorded with the time it was sent.
 */
function fakeGroup(clock: { now: number }, exitsAfterTermMs: number | null, alive = true) {
  const sent: Array<{ signal: NodeJS.Signals; at: number }> = [];
  let diesAt = alive ? Infinity : -1;
  const groups: ProcessGroups = {
    send: (_pgid, signal) => {
      if (clock.now >= diesAt) return false;
      sent.push({ signal, at: clock.now });
      if (signal === "SIGKILL") diesAt = clock.now;
      else if (exitsAfterTermMs !== null) diesAt = Math.min(diesAt, clock.now + exitsAfterTermMs);
      return true;
    },
    isAlive: () => clock.now < diesAt,
  };
  return { groups, sent };
}

describe("killGroup", () => {
  it("sends SIGKILL exactly when the grace period has passed to a group that ignores SIGTERM", async () => {
    const { clock, sleep } = fakeClock();
    const { groups, sent } = fakeGroup(clock, null);
    await killGroup({ pgid: 4242, graceMs: 5_000, pollMs: 50, sleep, groups });
    expect(sent).toEqual([
      { signal: "SIGTERM", at: 0 },
      { signal: "SIGKILL", at: 5_000 },
    ]);
    expect(clock.now).toBe(5_000);
    expect(clock.sleeps.every((ms) => ms === 50)).toBe(true);
  });

  it("sends only SIGTERM to a group that exits within the grace period, and returns as it goes", async () => {
    const { clock, sleep } = fakeClock();
    const { groups, sent } = fakeGroup(clock, 1_200);
    await killGroup({ pgid: 4242, graceMs: 5_000, pollMs: 100, sleep, groups });
    expect(sent).toEqual([{ signal: "SIGTERM", at: 0 }]);
    expect(clock.now).toBe(1_200);
  });

  it("honours a grace period that is not a multiple of the poll interval", async () => {
    const { clock, sleep } = fakeClock();
    const { groups, sent } = fakeGroup(clock, null);
    await killGroup({ pgid: 4242, graceMs: 120, pollMs: 50, sleep, groups });
    expect(sent.map((s) => s.signal)).toEqual(["SIGTERM", "SIGKILL"]);
    expect(sent[1]?.at).toBe(150);
  });

  it("kills at once with a grace period of 0", async () => {
    const { clock, sleep } = fakeClock();
    const { groups, sent } = fakeGroup(clock, null);
    await killGroup({ pgid: 4242, graceMs: 0, sleep, groups });
    expect(sent).toEqual([
      { signal: "SIGTERM", at: 0 },
      { signal: "SIGKILL", at: 0 },
    ]);
  });

  it("does nothing and waits for nothing when the group is already gone", async () => {
    const { clock, sleep } = fakeClock();
    const { groups, sent } = fakeGroup(clock, null, false);
    await killGroup({ pgid: 4242, graceMs: 5_000, sleep, groups });
    expect(sent).toEqual([]);
    expect(clock.sleeps).toEqual([]);
  });
});
