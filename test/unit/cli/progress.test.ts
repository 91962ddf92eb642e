import { describe, expect, it } from "vitest";
import { jobName, type LayerStatus, type SessionRecord, type StepState } from "../../../src/api/index.js";
import { describeState, formatElapsed, progressLine } from "../../../src/cli/progress.js";
import { newSessionRecord } from "../../../src/plan/index.js";

function record(input: {
  status: SessionRecord["status"]["session"]["status"];
  succeeded?: SessionRecord["status"]["session"]["succeeded"];
  steps?: Array<[string, StepState]>;
  layers?: number[];
  reason?: string;
}): SessionRecord {
  const r = newSessionRecord({
    session: {
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "s",
      configuration: { name: "c", limit: "1,2" },
    },
    source: { path: "sessions/s.yaml", commit: "c", blob: "b" },
    job: jobName("s", "b"),
    options: null,
  });
  r.status.session.status = input.status;
  r.status.session.succeeded = input.succeeded ?? "none";
  r.status.steps = (input.steps ?? []).map(([name, status]) => ({
    name,
    status,
    exit_code: null,
    start_time: null,
    completion_time: null,
  }));
  r.status.layers = (input.layers ?? []).map((index): LayerStatus => ({
    index,
    name: `l${index}`,
    clone_url: "u",
    commit: null,
    branch: null,
    playbook: "p",
    status: "pending",
    exit_code: null,
    recap: {},
    failed_hosts: [],
    unreachable_hosts: [],
  }));
  r.status.reason = input.reason ?? null;
  return r;
}

describe("formatElapsed", () => {
  it.each([
    [0, "0:00"],
    [999, "0:00"],
    [61_000, "1:01"],
    [3_599_000, "59:59"],
    [3_600_000, "1:00:00"],
    [-5, "0:00"],
  ])("%d ms -> %s", (ms, text) => {
    expect(formatElapsed(ms)).toBe(text);
  });
});

describe("describeState", () => {
  it.each([
    ["no record yet", null, "s: waiting for the controller to pick it up"],
    ["pending", record({ status: "pending" }), "s: pending"],
    ["running, no step yet", record({ status: "running" }), "s: running"],
    [
      "running a layer's clone: numbered as the record does (from 0), and i of n counts the layers the limit kept",
      record({
        status: "running",
        layers: [1, 2],
        steps: [
          ["git-clone-1", "succeeded"],
          ["git-clone-2", "running"],
        ],
      }),
      "s: running · git-clone-2 · layer 2 (l2), 2 of 2",
    ],
    [
      "between steps: the last one that finished",
      record({
        status: "running",
        layers: [1, 2],
        steps: [
          ["inventory", "succeeded"],
          ["ansible-1", "pending"],
        ],
      }),
      "s: running · inventory",
    ],
    [
      "ansible on the first kept layer",
      record({ status: "running", layers: [1, 2], steps: [["ansible-1", "running"]] }),
      "s: running · ansible-1 · layer 1 (l1), 1 of 2",
    ],
    [
      "complete and succeeded",
      record({ status: "complete", succeeded: "true", reason: "ignored" }),
      "s: complete, succeeded=true",
    ],
    [
      "complete and failed, with the reason",
      record({ status: "complete", succeeded: "false", reason: "layer l2 failed" }),
      "s: complete, succeeded=false (layer l2 failed)",
    ],
  ])("%s", (_title, r, text) => {
    expect(describeState("s", r)).toBe(text);
  });

  it("adds the elapsed time for the live line", () => {
    expect(progressLine({ name: "s", record: record({ status: "pending" }), elapsedMs: 75_000 })).toBe(
      "s: pending · 1:15",
    );
  });
});
