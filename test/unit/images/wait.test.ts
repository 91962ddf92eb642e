import { describe, expect, it } from "vitest";
import {
  ImageServiceError,
  defaultResultName,
  formatDuration,
  sshArgv,
  sshContainerName,
  waitUntil,
  type Poll,
  type WaitTools,
} from "../../../src/images/index.js";

/** A clock that only moves when the wait sleeps. */
function fakeTime(): WaitTools & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: (ms, signal) => {
      if (signal?.aborted === true) return Promise.reject(new Error("aborted"));
      slept.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}

function polls<T>(...answers: Array<Poll<T>>): () => Promise<Poll<T>> {
  return () => Promise.resolve(answers.shift() ?? { done: false, seen: "still nothing" });
}

describe("waitUntil", () => {
  it("returns the value once the check is done, sleeping pollMs between looks", async () => {
    const tools = fakeTime();
    const value = await waitUntil({
      what: "x",
      timeoutMs: 10_000,
      pollMs: 500,
      signal: new AbortController().signal,
      tools,
      check: polls<string>(
        { done: false, seen: "a" },
        { done: false, seen: "b" },
        { done: true, value: "ok" },
      ),
    });
    expect(value).toBe("ok");
    expect(tools.slept).toEqual([500, 500]);
  });

  it("times out saying what it waited for and what it saw last, never sleeping past the deadline", async () => {
    const tools = fakeTime();
    const error = await waitUntil({
      what: "IMS job j to reach waiting_on_user",
      timeoutMs: 1_200,
      pollMs: 500,
      signal: new AbortController().signal,
      tools,
      check: polls<string>(
        { done: false, seen: "status creating" },
        { done: false, seen: "status fetching_image" },
      ),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageServiceError);
    expect(error).toMatchObject({
      code: "timeout",
      message:
        "timed out after 1200 ms waiting for IMS job j to reach waiting_on_user (last seen: still nothing)",
    });
    expect(tools.slept).toEqual([500, 500, 200]);
  });

  it("ends at once when the signal aborts", async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(
      waitUntil({
        what: "SSH",
        timeoutMs: 1_000,
        pollMs: 10,
        signal: abort.signal,
        tools: fakeTime(),
        check: polls(),
      }),
    ).rejects.toMatchObject({ code: "cancelled", message: "SSH: cancelled (the session was deleted)" });
  });
});

describe("names and argv", () => {
  it("formats durations in their shortest exact form", () => {
    expect([
      formatDuration(1_800_000),
      formatDuration(90_000),
      formatDuration(1_000),
      formatDuration(1_500),
    ]).toEqual(["30m", "90s", "1s", "1500 ms"]);
  });

  it("names results and SSH containers as CFS does, within IMS's limits", () => {
    expect(defaultResultName("sles15-compute", "nightly")).toBe("sles15-compute_cfs_nightly");
    expect(sshContainerName("a".repeat(45))).toBe("a".repeat(40));
  });

  it("runs ssh in batch mode with the session key only, the command last", () => {
    const argv = sshArgv(
      { host: "10.1.2.3", port: 2222, user: "root", privateKeyPath: "/k/id" },
      "touch /tmp/complete",
      4_500,
    );
    expect(argv.slice(0, 4)).toEqual(["-i", "/k/id", "-p", "2222"]);
    expect(argv).toContain("BatchMode=yes");
    expect(argv).toContain("ConnectTimeout=5");
    expect(argv.slice(-4)).toEqual(["-l", "root", "10.1.2.3", "touch /tmp/complete"]);
  });
});
