import { describe, expect, it } from "vitest";
import { WakeTimer } from "../../../src/controller/wake-timer.js";
import { ManualClock } from "./fakes.js";

function timer(): { clock: ManualClock; fired: number[]; wake: WakeTimer } {
  const clock = new ManualClock(0);
  const fired: number[] = [];
  const wake = new WakeTimer({
    now: clock.now,
    sleep: clock.sleep,
    fire: () => fired.push(clock.now().getTime()),
  });
  return { clock, fired, wake };
}

describe("WakeTimer", () => {
  it("fires once when the time is up", async () => {
    const { clock, fired, wake } = timer();
    wake.set(1_000);
    expect(wake.isSet).toBe(true);
    await clock.advance(999);
    expect(fired).toEqual([]);
    await clock.advance(1);
    expect(fired).toEqual([1_000]);
    expect(wake.isSet).toBe(false);
  });

  it("keeps a sooner wake-up and replaces a later one", async () => {
    const { clock, fired, wake } = timer();
    wake.set(1_000);
    wake.set(5_000);
    wake.set(300);
    await clock.advance(10_000);
    expect(fired).toEqual([300]);
    expect(clock.pending).toBe(0);
  });

  it("never fires after clear()", async () => {
    const { clock, fired, wake } = timer();
    wake.set(1_000);
    wake.clear();
    await clock.advance(2_000);
    expect(fired).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
