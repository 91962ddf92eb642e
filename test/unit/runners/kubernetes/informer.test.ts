/**
 * The informer's error state, with a fake list and watch and its injected sleep: `lastError` (what
 * the kubernetes runner's readiness reads) clears as soon as a list went well and the next watch
 * is established, not only when that watch ends, and comes back when the watch fails.
 */
import type { V1Job } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Informer, type ListAnswer, type WatchClient } from "../../../../src/runners/kubernetes/index.js";

const log = pino({ level: "silent" });

/** One watch request of the fake client: `establish` answers it, `end` ends it. */
interface FakeWatch {
  establish: () => void;
  end: (error: unknown) => void;
}

/** A watch client whose watches are established and ended by the test. */
function fakeWatchClient() {
  const watches: FakeWatch[] = [];
  const client: WatchClient = {
    watch: (_path, _query, _callback, done) =>
      new Promise<AbortController>((resolve) => {
        watches.push({ establish: () => resolve(new AbortController()), end: (error) => done(error) });
      }),
  };
  return { client, watches };
}

/** A list that fails while `failing` is set, then answers one Job. */
function fakeList() {
  const state = { failing: true, calls: 0 };
  const list = (): Promise<ListAnswer<V1Job>> => {
    state.calls += 1;
    if (state.failing) return Promise.reject(new Error("503 Service Unavailable"));
    return Promise.resolve({
      items: [{ metadata: { name: "a", resourceVersion: "7" } }],
      metadata: { resourceVersion: "7" },
    });
  };
  return { state, list };
}

/** A sleep that waits until the test releases it. */
function heldSleep() {
  const waiting: Array<() => void> = [];
  const sleep = (): Promise<void> => new Promise<void>((resolve) => waiting.push(resolve));
  return { sleep, release: () => waiting.splice(0).forEach((resolve) => resolve()), waiting };
}

const informers: Array<Informer<V1Job>> = [];
afterEach(async () => {
  for (const informer of informers.splice(0)) await informer.stop();
});

function informerWith(input: { list: () => Promise<ListAnswer<V1Job>>; watch: WatchClient }) {
  const sleep = heldSleep();
  const informer = new Informer<V1Job>({
    name: "jobs",
    path: "/apis/batch/v1/namespaces/ns/jobs",
    labelSelector: "x=y",
    list: input.list,
    watch: input.watch,
    log,
    onEvent: () => undefined,
    sleep: sleep.sleep,
  });
  informers.push(informer);
  return { informer, sleep };
}

describe("Informer error state", () => {
  it("clears the last error once a relist went well and its watch is established, while the watch lasts", async () => {
    const { client, watches } = fakeWatchClient();
    const { state, list } = fakeList();
    const { informer, sleep } = informerWith({ list, watch: client });
    void informer.start();
    await vi.waitFor(() => expect(sleep.waiting).toHaveLength(1));
    expect(informer.lastError).toContain("503");

    state.failing = false;
    sleep.release();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    expect(informer.hasSynced).toBe(true);
    // Listed, but the watch has not answered yet: still the old error.
    expect(informer.lastError).toContain("503");

    watches[0]?.establish();
    await vi.waitFor(() => expect(informer.lastError).toBeNull());
    expect(state.calls).toBe(2);
  });

  it("reports the error again when the established watch fails, and clears it when the next one is established", async () => {
    const { client, watches } = fakeWatchClient();
    const { state, list } = fakeList();
    state.failing = false;
    const { informer, sleep } = informerWith({ list, watch: client });
    await informer.start();
    await vi.waitFor(() => expect(watches).toHaveLength(1));
    watches[0]?.establish();
    await vi.waitFor(() => expect(informer.lastError).toBeNull());

    watches[0]?.end(Object.assign(new Error("connection reset"), { code: "ECONNRESET" }));
    await vi.waitFor(() => expect(informer.lastError).toBe("connection reset"));

    sleep.release();
    await vi.waitFor(() => expect(watches).toHaveLength(2));
    expect(informer.lastError).toBe("connection reset");
    watches[1]?.establish();
    await vi.waitFor(() => expect(informer.lastError).toBeNull());
    // The watch resumed from the list's resourceVersion: no relist was needed.
    expect(state.calls).toBe(1);
  });

  it("keeps the error when the watch request itself is refused", async () => {
    const { state, list } = fakeList();
    state.failing = false;
    const refusing: WatchClient = {
      watch: (_path, _query, _callback, done) => {
        // As client-node does on a non-200 answer: done(error) first, then the controller.
        done(Object.assign(new Error("Service Unavailable"), { statusCode: 503 }));
        return Promise.resolve(new AbortController());
      },
    };
    const { informer, sleep } = informerWith({ list, watch: refusing });
    void informer.start();
    await vi.waitFor(() => expect(sleep.waiting).toHaveLength(1));
    await new Promise((resolve) => setImmediate(resolve));
    expect(informer.lastError).toBe("Service Unavailable");
  });
});
