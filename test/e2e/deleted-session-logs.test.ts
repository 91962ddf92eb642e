/**
 * Deleting a running session keeps its logs in `git log cfs-status` (issue 14, item 6): logs are
 * committed when a session completes, and one deleted while it runs never completes, so the
 * controller commits what its steps printed before it removes the run. Real git, real ansible.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigRepo,
  configurationYaml,
  git,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { startController, waitFor, type Harness } from "./harness.js";

let dir: { path: string; cleanup: () => void };
let harness: Harness | null = null;

beforeEach(() => {
  dir = tempDir("cfs-deleted-logs-");
});

afterEach(async () => {
  await harness?.close();
  harness = null;
  dir.cleanup();
});

describe("a session deleted while it runs", () => {
  it("keeps the logs its steps printed in the status branch's history", async () => {
    const marks = join(dir.path, "marks.txt");
    const layer = makeLayerRepo(dir.path, "slow", {
      "site.yml": playbook({ file: marks, line: "started", sleep: 60 }),
    });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/slow.yaml": configurationYaml("slow", [{ name: "slow", url: layer }]),
      "sessions/doomed.yaml": sessionYaml("doomed", "slow"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data"), watch: true });
    const controller = harness.controller;
    // The playbook's first task has run (it wrote its mark): the ansible-0 step is running, with output.
    await waitFor(() => existsSync(marks) && readFileSync(marks, "utf8").includes("started"), {
      what: "the playbook to start",
      timeoutMs: 120_000,
    });
    await waitFor(() => controller.records.sessions.get("doomed")?.status.session.status === "running", {
      what: "the session to be recorded running",
      timeoutMs: 60_000,
    });
    repo.commit({ "sessions/doomed.yaml": null }, "Delete session doomed");
    await waitFor(() => !controller.records.sessions.has("doomed"), {
      what: "the session to be deleted",
      timeoutMs: 60_000,
    });
    const commits = git(repo.path, ["log", "--format=%H %s", "cfs-status", "--", "logs/doomed/"])
      .split("\n")
      .filter(Boolean);
    expect(commits).toHaveLength(2); // added before the run was removed, removed with the record
    const [removed, kept] = commits.map((line) => line.split(" ")[0] ?? "");
    expect(git(repo.path, ["show", "--format=%s", "-s", kept ?? ""])).toBe(
      "status: logs of doomed, deleted before completing",
    );
    const files = git(repo.path, ["ls-tree", "-r", "--name-only", kept ?? "", "logs/doomed/"]).split("\n");
    expect(files).toContain("logs/doomed/ansible-0.log");
    expect(git(repo.path, ["show", `${kept}:logs/doomed/ansible-0.log`])).toContain("TASK");
    expect(git(repo.path, ["ls-tree", "-r", "--name-only", removed ?? "", "logs/doomed/"])).toBe("");
  });
});
