/**
 * `--wait` follows each step as the local runner records it (issue 14, item 6): the committed
 * record lags (the controller commits progress every few seconds), the run's state.json does not.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../../src/api/index.js";
import { withLiveRun } from "../../../src/cli/live-run.js";
import { describeState } from "../../../src/cli/progress.js";
import { runPaths, writeState } from "../../../src/runners/local/run-files.js";
import { tempDir } from "../../helpers/config-repo.js";
import { sessionRecord } from "./cli-harness.js";

let dir: { path: string; cleanup: () => void };
beforeEach(() => {
  dir = tempDir("cfs-live-run-");
});
afterEach(() => dir.cleanup());

const layer = (index: number, name: string) => ({
  index,
  name,
  clone_url: "x",
  commit: null,
  branch: null,
  playbook: "site.yml",
  status: "pending" as const,
  exit_code: null,
  recap: {},
  failed_hosts: [],
  unreachable_hosts: [],
});
const step = (name: string, status: "succeeded" | "running") => ({
  name,
  status,
  exit_code: null,
  start_time: null,
  completion_time: null,
});

describe("withLiveRun", () => {
  it("lays the local run's live steps over the committed record, and leaves other records alone", async () => {
    const base = sessionRecord({ name: "s", status: "running", start: "2026-11-21T12:00:00Z" });
    const record: SessionRecord = {
      ...base,
      status: {
        ...base.status,
        layers: [layer(0, "base"), layer(1, "app")],
        steps: [step("git-clone-0", "running")],
      },
    };
    const job = record.status.session.job ?? "";
    const paths = runPaths(join(dir.path, "runner", "runs"), job);
    mkdirSync(paths.dir, { recursive: true });
    await writeState(paths, {
      observation: {
        name: "s",
        job,
        phase: "running",
        succeeded: "none",
        startTime: "2026-11-21T12:00:00Z",
        completionTime: null,
        layers: [layer(0, "base"), layer(1, "app")],
        steps: [
          step("git-clone-0", "succeeded"),
          step("git-clone-1", "succeeded"),
          step("inventory", "succeeded"),
          step("ansible-0", "succeeded"),
          step("ansible-1", "running"),
        ],
        artifacts: [],
        reason: null,
      },
      runner: { pid: 1, boot: null, startTicks: null, instance: "i" },
      created: 0,
    });
    expect(describeState("s", record)).toBe("s: running · git-clone-0 · layer 0 (base), 1 of 2");
    const live = await withLiveRun(dir.path, record);
    expect(describeState("s", live)).toBe("s: running · ansible-1 · layer 1 (app), 2 of 2");
    expect(await withLiveRun(join(dir.path, "elsewhere"), record)).toBe(record);
    expect(await withLiveRun(null, record)).toBe(record);
  });
});
