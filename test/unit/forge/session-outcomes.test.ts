import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import {
  OutcomeNotifier,
  commitOutcome,
  commitsOf,
  type Forge,
  type ForgeTask,
} from "../../../src/forge/index.js";
import type { ForgeQueue } from "../../../src/forge/index.js";

const A = "a".repeat(40);
const B = "b".repeat(40);

/** The fields of a session record the outcome reads. */
function record(input: {
  name: string;
  commit: string;
  status?: "pending" | "running" | "complete";
  succeeded?: "none" | "true" | "false" | "unknown";
  reason?: string | null;
}): SessionRecord {
  return {
    name: input.name,
    status: {
      session: { status: input.status ?? "complete", succeeded: input.succeeded ?? "true" },
      source: { path: `sessions/${input.name}.yaml`, commit: input.commit, blob: "0".repeat(40) },
      reason: input.reason ?? null,
    },
  } as unknown as SessionRecord;
}

describe("commitOutcome", () => {
  it.each([
    ["no session of the commit", [record({ name: "x", commit: B })], null],
    [
      "one running, one pending",
      [
        record({ name: "x", commit: A, status: "running" }),
        record({ name: "y", commit: A, status: "pending" }),
      ],
      { state: "pending", description: "2 sessions: 1 running, 1 pending, 0 done" },
    ],
    [
      "all succeeded",
      [
        record({ name: "x", commit: A }),
        record({ name: "y", commit: A }),
        record({ name: "z", commit: B, succeeded: "false" }),
      ],
      { state: "success", description: "2 sessions succeeded" },
    ],
    [
      "failures named with their reasons, in name order",
      [
        record({
          name: "s2",
          commit: A,
          succeeded: "false",
          reason: "layer 0 (base): ansible-playbook exited 2",
        }),
        record({ name: "s1", commit: A }),
        record({ name: "s0", commit: A, succeeded: "unknown", reason: null }),
      ],
      {
        state: "failure",
        description:
          "2 of 3 sessions failed: s0 (succeeded unknown); s2 (layer 0 (base): ansible-playbook exited 2)",
      },
    ],
  ] as const)("%s", (_name, records, expected) => {
    const outcome = commitOutcome(A, records);
    expect(outcome === null ? null : { state: outcome.state, description: outcome.description }).toEqual(
      expected,
    );
  });

  it("keeps the description to GitHub's 140 characters", () => {
    const records = Array.from({ length: 20 }, (_, i) =>
      record({
        name: `session-${i}`,
        commit: A,
        succeeded: "false",
        reason: "the playbook failed on every host",
      }),
    );
    const outcome = commitOutcome(A, records)!;
    expect(outcome.description.length).toBe(140);
    expect(outcome.description.endsWith("…")).toBe(true);
  });
});

describe("commitsOf", () => {
  it("gives the source commits of the named sessions, once each, skipping unknown names and non-commits", () => {
    const records = new Map([
      ["x", record({ name: "x", commit: A })],
      ["y", record({ name: "y", commit: A })],
      ["z", record({ name: "z", commit: B })],
      ["w", record({ name: "w", commit: "not-a-commit" })],
    ]);
    expect(commitsOf(["z", "x", "y", "gone", "w"], records)).toEqual([A, B]);
  });
});

describe("OutcomeNotifier", () => {
  function harness() {
    const tasks: ForgeTask[] = [];
    const queue = { enqueue: (task: ForgeTask) => tasks.push(task) } as unknown as ForgeQueue;
    const forge = { kind: "gitea" } as Forge;
    return { tasks, notifier: new OutcomeNotifier({ forge, queue }) };
  }

  it("queues a status for each commit whose sessions the status commit changed, once per state", () => {
    const { tasks, notifier } = harness();
    const running = new Map([["x", record({ name: "x", commit: A, status: "running" })]]);
    notifier.onStatusCommit({ paths: ["sessions/x.json"], sessions: running });
    notifier.onStatusCommit({
      paths: ["sessions/x.json", "sessions/x/logs/ansible-0.txt"],
      sessions: running,
    });
    const done = new Map([["x", record({ name: "x", commit: A })]]);
    notifier.onStatusCommit({ paths: ["sessions/x.json"], sessions: done });
    notifier.onStatusCommit({ paths: ["problems/sessions/bad.yaml.json"], sessions: done });
    expect(tasks.map((t) => [t.key, t.what])).toEqual([
      [`status ${A} cfs-gitops/sessions`, `cfs-gitops/sessions pending on ${A.slice(0, 12)}`],
      [`status ${A} cfs-gitops/sessions`, `cfs-gitops/sessions success on ${A.slice(0, 12)}`],
    ]);
  });
});
