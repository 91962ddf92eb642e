import type { V1Pod } from "@kubernetes/client-node";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { beginMarker, endMarker, stepMessage } from "../../../../src/jobs/index.js";
import { LayerProgress } from "../../../../src/runners/kubernetes/layer-progress.js";

/** A pod whose `ansible` container runs (or has ended). */
function pod(name: string, ansible: "running" | "ended"): V1Pod {
  const state = ansible === "running" ? { running: {} } : { terminated: { exitCode: 0 } };
  return {
    metadata: { name },
    status: {
      containerStatuses: [{ name: "ansible", image: "", imageID: "", ready: false, restartCount: 0, state }],
    },
  };
}

/** A sleep the test releases by hand, one wait at a time. */
function manualSleep() {
  const waits: Array<{ ms: number; release: () => void }> = [];
  const sleep = (ms: number, signal?: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      waits.push({ ms, release: resolve });
      signal?.addEventListener("abort", () => reject(new Error("aborted")));
    });
  return { sleep, waits };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe("LayerProgress", () => {
  const ended = stepMessage({ step: "ansible-0", status: "succeeded", exit_code: 0 });

  it("reads a running ansible container's log every interval and says when its layers moved", async () => {
    let log = beginMarker("ansible-0");
    const reads: string[] = [];
    let changes = 0;
    const { sleep, waits } = manualSleep();
    const progress = new LayerProgress({
      readLog: (p, c) => {
        reads.push(`${p}/${c}`);
        return Promise.resolve(log);
      },
      intervalMs: 5000,
      sleep,
      onChange: () => (changes += 1),
      log: pino({ level: "silent" }),
    });
    expect(progress.of("job-a", pod("pod-a", "running"))).toBeNull();
    await flush();
    expect(progress.of("job-a", pod("pod-a", "running"))).toEqual({ running: ["ansible-0"], ended: [] });
    expect([reads, changes, waits.map((w) => w.ms)]).toEqual([["pod-a/ansible"], 1, [5000]]);

    log = `${beginMarker("ansible-0")}\n${endMarker(ended)}\n${beginMarker("ansible-1")}\n`;
    waits.shift()?.release();
    await flush();
    expect(progress.of("job-a", pod("pod-a", "running"))).toEqual({ running: ["ansible-1"], ended: [ended] });
    expect(changes).toBe(2);

    waits.shift()?.release();
    await flush();
    expect([reads.length, changes]).toEqual([3, 2]);

    expect(progress.of("job-a", pod("pod-a", "ended"))).toBeNull();
    waits.shift()?.release();
    await flush();
    expect(reads.length).toBe(3);
    progress.close();
  });

  it("follows nothing for a pod without a running all-layer container, and nothing after close", async () => {
    const reads: string[] = [];
    const progress = new LayerProgress({
      readLog: (p, c) => {
        reads.push(`${p}/${c}`);
        return Promise.resolve("");
      },
      intervalMs: 5000,
      sleep: manualSleep().sleep,
      onChange: () => undefined,
      log: pino({ level: "silent" }),
    });
    expect(progress.of("job-b", null)).toBeNull();
    expect(progress.of("job-b", pod("pod-b", "ended"))).toBeNull();
    progress.close();
    expect(progress.of("job-b", pod("pod-b", "running"))).toBeNull();
    await flush();
    expect(reads).toEqual([]);
  });
});
