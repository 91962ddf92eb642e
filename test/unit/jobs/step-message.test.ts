import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RecapCounts } from "../../../src/api/index.js";
import {
  decodeStepMessage,
  encodeStepMessage,
  stepMessage,
  terminationMessageBudget,
  type StepMessage,
} from "../../../src/jobs/index.js";

const bytes = (text: string) => new TextEncoder().encode(text).length;

const recap: RecapCounts = {
  ok: 10,
  changed: 2,
  unreachable: 0,
  failed: 1,
  skipped: 3,
  rescued: 0,
  ignored: 0,
};

describe("terminationMessageBudget", () => {
  it.each([
    [1, 4096],
    [3, 4096],
    [4, 3072],
    [8, 1536],
    [42, 292],
  ])("gives each of %i containers %i bytes", (count, budget) => {
    expect(terminationMessageBudget(count)).toBe(budget);
  });
});

describe("encodeStepMessage", () => {
  it("round-trips a message that fits", () => {
    const message = stepMessage({
      step: "ansible-2",
      status: "failed",
      exit_code: 2,
      reason: "ansible-playbook exited 2",
      recap,
      hosts: { x3000c0s1b0n0: recap },
      failed_hosts: ["x3000c0s1b0n0"],
    });
    expect(decodeStepMessage(encodeStepMessage(message))).toEqual(message);
    expect(message.failed_host_count).toBe(1);
  });

  it("drops the per-host recap first, then shortens host lists, keeping exact counts", () => {
    const hosts = Array.from({ length: 400 }, (_, i) => `x3000c0s${i}b0n0`);
    const message = stepMessage({
      step: "ansible-0",
      status: "failed",
      exit_code: 2,
      recap,
      hosts: Object.fromEntries(hosts.map((h) => [h, recap])),
      failed_hosts: hosts,
    });
    const decoded = decodeStepMessage(encodeStepMessage(message, 1024));
    expect(decoded).toMatchObject({ hosts: null, truncated: true, failed_host_count: 400, recap });
    expect(decoded?.failed_hosts.length).toBeGreaterThan(0);
    expect(decoded?.failed_hosts.length).toBeLessThan(400);
    expect(decoded?.failed_hosts).toEqual(hosts.slice(0, decoded?.failed_hosts.length));
  });

  it("always fits the budget and keeps step, status and exit code", () => {
    const name = fc.string({ unit: "binary", maxLength: 80 });
    const counts = fc.record({
      ok: fc.nat(),
      changed: fc.nat(),
      unreachable: fc.nat(),
      failed: fc.nat(),
      skipped: fc.nat(),
      rescued: fc.nat(),
      ignored: fc.nat(),
    });
    const input = fc.record({
      step: fc.stringMatching(/^[a-z0-9-]{1,20}$/),
      status: fc.constantFrom("succeeded" as const, "failed" as const, "skipped" as const),
      exit_code: fc.option(fc.integer({ min: -1, max: 255 })),
      reason: fc.option(fc.string({ unit: "binary", maxLength: 5000 })),
      recap: fc.option(counts),
      hosts: fc.option(fc.dictionary(name, counts, { maxKeys: 50 })),
      failed_hosts: fc.array(name, { maxLength: 200 }),
      unreachable_hosts: fc.array(name, { maxLength: 200 }),
    });
    fc.assert(
      fc.property(input, fc.integer({ min: 256, max: 4096 }), (fields, budget) => {
        const message: StepMessage = stepMessage(fields);
        const text = encodeStepMessage(message, budget);
        expect(bytes(text)).toBeLessThanOrEqual(budget);
        const decoded = decodeStepMessage(text);
        expect(decoded).toMatchObject({
          step: message.step,
          status: message.status,
          exit_code: message.exit_code,
        });
        expect(decoded?.failed_host_count).toBe(message.failed_hosts.length);
      }),
      { numRuns: 300 },
    );
  });
});

describe("the compact encoding", () => {
  it("writes only the fields that differ from their defaults", () => {
    const skipped = stepMessage({ step: "ansible-3", status: "skipped", exit_code: null });
    expect(encodeStepMessage(skipped)).toBe('{"v":1,"step":"ansible-3","status":"skipped"}');
    expect(decodeStepMessage(encodeStepMessage(skipped))).toEqual(skipped);
  });

  it("keeps status, exit code and commit in the share of a 40-layer pod", () => {
    const budget = terminationMessageBudget(2 * 40 + 3);
    const message = stepMessage({
      step: "git-clone-39",
      status: "succeeded",
      exit_code: 0,
      commit: "0123456789abcdef0123456789abcdef01234567",
      reason: "x".repeat(500),
    });
    const text = encodeStepMessage(message, budget);
    expect(bytes(text)).toBeLessThanOrEqual(budget);
    expect(decodeStepMessage(text)).toMatchObject({
      status: "succeeded",
      exit_code: 0,
      commit: message.commit,
      truncated: true,
    });
  });

  it("reads the full form, where every field is written out and commit is absent", () => {
    const full =
      '{"v":1,"step":"ansible-0","status":"failed","exit_code":2,"reason":"r","recap":null,"hosts":null,' +
      '"failed_hosts":["a"],"unreachable_hosts":[],"failed_host_count":3,"unreachable_host_count":0,"truncated":true}';
    expect(decodeStepMessage(full)).toEqual({
      ...stepMessage({ step: "ansible-0", status: "failed", exit_code: 2, reason: "r", failed_hosts: ["a"] }),
      failed_host_count: 3,
      truncated: true,
    });
  });
});

describe("decodeStepMessage", () => {
  it.each([
    ["nothing", undefined],
    ["an empty message", ""],
    ["plain text from a crashed step", "panic: out of memory"],
    ["a message cut by the kubelet", '{"v":1,"step":"ansible-0","status":"fai'],
    ["another JSON document", '{"status":"failed"}'],
    [
      "an unknown status",
      '{"v":1,"step":"x","status":"odd","exit_code":1,"failed_hosts":[],"unreachable_hosts":[]}',
    ],
  ])("returns null for %s", (_, text) => {
    expect(decodeStepMessage(text)).toBeNull();
  });
});
