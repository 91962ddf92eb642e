import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { ForgeError, ForgeQueue } from "../../../src/forge/index.js";

/** A queue whose sleeps are recorded and return at once; its log lines captured. */
function harness(options: { maxAttempts?: number } = {}) {
  const waits: number[] = [];
  const lines: string[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
  const queue = new ForgeQueue({
    log,
    sleep: (ms) => {
      waits.push(ms);
      return Promise.resolve();
    },
    random: () => 1,
    retry: { baseMs: 1000, maxMs: 8000 },
    ...options,
  });
  return { queue, waits, lines };
}

const down = () => new ForgeError({ code: "unreachable", message: "POST /x: no answer from the forge" });

describe("ForgeQueue", () => {
  it("retries a transient failure with doubling backoff until it succeeds", async () => {
    const { queue, waits } = harness();
    let calls = 0;
    queue.enqueue({
      key: "k",
      what: "status",
      run: () => (++calls < 4 ? Promise.reject(down()) : Promise.resolve()),
    });
    await queue.idle();
    expect(calls).toBe(4);
    expect(waits).toEqual([1000, 2000, 4000]);
    expect(queue.counts).toMatchObject({ done: 1, retried: 3, dropped: 0 });
  });

  it("drops a task after its last attempt, with one log line naming it", async () => {
    const { queue, waits, lines } = harness({ maxAttempts: 3 });
    queue.enqueue({
      key: "k",
      what: "cfs-gitops/sessions success on abc",
      run: () => Promise.reject(down()),
    });
    await queue.idle();
    expect(waits).toEqual([1000, 2000]);
    expect(queue.counts).toMatchObject({ done: 0, dropped: 1 });
    const dropped = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === "forge call dropped");
    expect(dropped).toEqual([
      expect.objectContaining({
        forge: "cfs-gitops/sessions success on abc",
        attempts: 3,
        failure: "transient",
      }),
    ]);
  });

  it("does not retry what no retry fixes (a refused token, 404, 422)", async () => {
    const { queue, waits } = harness();
    let calls = 0;
    queue.enqueue({
      key: "k",
      what: "status",
      run: () => {
        calls += 1;
        return Promise.reject(new ForgeError({ code: "http", status: 401, message: "POST /x: HTTP 401" }));
      },
    });
    await queue.idle();
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
    expect(queue.counts.dropped).toBe(1);
  });

  it("waits as long as a rate limit asks", async () => {
    const { queue, waits } = harness();
    let calls = 0;
    queue.enqueue({
      key: "k",
      what: "status",
      run: () =>
        ++calls === 1
          ? Promise.reject(
              new ForgeError({ code: "rate-limited", status: 429, message: "limited", retryAfterMs: 42_000 }),
            )
          : Promise.resolve(),
    });
    await queue.idle();
    expect(waits).toEqual([42_000]);
  });

  it("keeps only the newest task of a key while it waits", async () => {
    const { queue } = harness();
    const ran: string[] = [];
    let release!: () => void;
    const blocker = new Promise<void>((resolve) => (release = resolve));
    queue.enqueue({ key: "busy", what: "busy", run: () => blocker });
    for (const state of ["pending", "running", "success"])
      queue.enqueue({ key: "status A", what: state, run: () => Promise.resolve(void ran.push(state)) });
    release();
    await queue.idle();
    expect(ran).toEqual(["success"]);
    expect(queue.counts.replaced).toBe(2);
  });

  it("gives up a retry once a newer task of the same key is waiting", async () => {
    const { queue } = harness();
    const ran: string[] = [];
    queue.enqueue({
      key: "status A",
      what: "pending",
      run: () => {
        ran.push("pending");
        // While it backs off, the newer status arrives.
        queue.enqueue({
          key: "status A",
          what: "success",
          run: () => Promise.resolve(void ran.push("success")),
        });
        return Promise.reject(down());
      },
    });
    await queue.idle();
    expect(ran).toEqual(["pending", "success"]);
  });

  it("never throws from enqueue, and takes nothing once closed", async () => {
    const { queue } = harness();
    await queue.close();
    let ran = false;
    expect(() =>
      queue.enqueue({ key: "k", what: "x", run: () => Promise.resolve(void (ran = true)) }),
    ).not.toThrow();
    await queue.idle();
    expect(ran).toBe(false);
  });
});
