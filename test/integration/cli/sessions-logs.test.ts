/**
 * `sessions logs` on the sessions people really have (issue 14, item 6): a failed multi-layer
 * session prints every step that ran, each under a header (the skipped layer's steps left out);
 * an unknown `-c` lists the real steps and exits 1 at once, with `--follow` too.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  sessionLogPath,
  sessionRecordPath,
  type SessionRecord,
  type StepState,
} from "../../../src/api/index.js";
import { sessionManifest, sessionRecord, startCliRepo, type CliRepo } from "./cli-harness.js";

function withSteps(record: SessionRecord, steps: Array<[string, StepState]>): SessionRecord {
  return {
    ...record,
    status: {
      ...record.status,
      steps: steps.map(([name, status]) => ({
        name,
        status,
        exit_code: status === "failed" ? 2 : status === "succeeded" ? 0 : null,
        start_time: null,
        completion_time: null,
      })),
    },
  };
}

const FAILED = withSteps(sessionRecord({ name: "failed", status: "complete", succeeded: "false" }), [
  ["git-clone-0", "succeeded"],
  ["git-clone-1", "succeeded"],
  ["inventory", "succeeded"],
  ["ansible-0", "failed"],
  ["ansible-1", "skipped"],
]);
const RUNNING = withSteps(sessionRecord({ name: "running", status: "running" }), [
  ["git-clone-0", "succeeded"],
  ["inventory", "running"],
  ["ansible-0", "pending"],
]);

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({
    "sessions/failed.yaml": sessionManifest("failed"),
    "sessions/running.yaml": sessionManifest("running"),
    "sessions/waiting.yaml": sessionManifest("waiting"),
  });
  await repo.writeStatus({
    [sessionRecordPath("failed")]: FAILED,
    [sessionLogPath("failed", "git-clone-0")]: "cloned 0\n",
    [sessionLogPath("failed", "git-clone-1")]: "cloned 1\n",
    [sessionLogPath("failed", "inventory")]: "inventory\n",
    [sessionLogPath("failed", "ansible-0")]: "fatal: [localhost]: FAILED!\n",
    [sessionRecordPath("running")]: RUNNING,
  });
});

afterAll(async () => {
  await repo.close();
});

describe("sessions logs", () => {
  it("without -c prints every step that ran of a failed multi-layer session, each under a header", async () => {
    const result = await repo.run(["sessions", "logs", "failed"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
    expect(result.stdout).toBe(
      [
        "==> git-clone-0 <==",
        "cloned 0",
        "==> git-clone-1 <==",
        "cloned 1",
        "==> inventory <==",
        "inventory",
        "==> ansible-0 <==",
        "fatal: [localhost]: FAILED!",
        "",
      ].join("\n"),
    );
  });

  it("with an unknown -c lists the real steps and exits 1", async () => {
    const result = await repo.run(["sessions", "logs", "failed", "-c", "ansibel-0"]);
    expect(result).toMatchObject({
      code: 1,
      stdout: "",
      stderr:
        "cfs-gitops: session failed has no step ansibel-0: its steps are git-clone-0, git-clone-1, inventory, ansible-0, ansible-1\n",
    });
    const skipped = await repo.run(["sessions", "logs", "failed", "-c", "ansible-1"]);
    expect(skipped.code).toBe(1);
    expect(skipped.stderr).toBe(
      "cfs-gitops: session failed has no log for step ansible-1 yet (steps that ran: git-clone-0, git-clone-1, inventory, ansible-0)\n",
    );
  });

  it("with an unknown -c and --follow exits 1 at once, running or pending", async () => {
    let sleeps = 0;
    const onSleep = () => void (sleeps += 1);
    const running = await repo.run(["sessions", "logs", "running", "-c", "ansible-3", "--follow"], {
      onSleep,
    });
    expect(running).toMatchObject({ code: 1 });
    expect(running.stderr).toBe(
      "cfs-gitops: session running has no step ansible-3: its steps are git-clone-0, inventory, ansible-0\n",
    );
    const pending = await repo.run(["sessions", "logs", "waiting", "-c", "ansbile-0", "--follow"], {
      onSleep,
    });
    expect(pending.code).toBe(1);
    expect(pending.stderr).toMatch(
      /^cfs-gitops: session waiting has no step ansbile-0: its steps are git-clone-<i>/,
    );
    expect(sleeps).toBe(0);
  });
});
