import { describe, expect, it } from "vitest";
import {
  ansibleConfigText,
  ansibleEnv,
  completeRun,
  endStep,
  initialObservation,
  layerPlaybookPath,
  startRun,
  startStep,
  updateLayer,
} from "../../../src/runners/steps/index.js";
import { layer, runSpec } from "../../helpers/ansible-fixtures.js";

const spec = runSpec("s", [
  layer(0, { clone_url: "/a", commit: "a".repeat(40), playbook: "site.yml" }),
  layer(3, { name: "extra", clone_url: "/b", branch: "main", playbook: "extra.yml" }),
]);

describe("initialObservation", () => {
  it("lists every step and layer as pending", () => {
    const obs = initialObservation(spec);
    expect(obs).toMatchObject({
      name: "s",
      job: spec.job,
      phase: "pending",
      succeeded: "none",
      reason: null,
    });
    expect(obs.steps.map((s) => [s.name, s.status])).toEqual([
      ["git-clone-0", "pending"],
      ["git-clone-3", "pending"],
      ["inventory", "pending"],
      ["ansible-0", "pending"],
      ["ansible-3", "pending"],
    ]);
    expect(obs.layers.map((l) => [l.index, l.name, l.commit, l.branch, l.status])).toEqual([
      [0, "layer0", "a".repeat(40), null, "pending"],
      [3, "extra", null, "main", "pending"],
    ]);
  });
});

describe("completeRun", () => {
  it("cancels what was running and skips what never started", () => {
    let obs = startRun(initialObservation(spec), "2025-01-01T00:00:00Z");
    obs = endStep(startStep(obs, "git-clone-0", "2025-01-01T00:00:00Z"), "git-clone-0", {
      status: "succeeded",
      exitCode: 0,
      now: "2025-01-01T00:00:01Z",
    });
    obs = startStep(obs, "git-clone-3", "2025-01-01T00:00:01Z");
    obs = updateLayer(obs, 0, (l) => ({ ...l, status: "running" }));
    const done = completeRun(obs, { succeeded: "unknown", reason: "gone", now: "2025-01-01T00:00:09Z" });
    expect(done).toMatchObject({
      phase: "complete",
      succeeded: "unknown",
      reason: "gone",
      completionTime: "2025-01-01T00:00:09Z",
    });
    expect(done.steps.map((s) => [s.name, s.status, s.completion_time])).toEqual([
      ["git-clone-0", "succeeded", "2025-01-01T00:00:01Z"],
      ["git-clone-3", "cancelled", "2025-01-01T00:00:09Z"],
      ["inventory", "skipped", null],
      ["ansible-0", "skipped", null],
      ["ansible-3", "skipped", null],
    ]);
    expect(done.layers.map((l) => l.status)).toEqual(["cancelled", "skipped"]);
    expect(done.startTime).toBe("2025-01-01T00:00:00Z");
  });
});

describe("layerPlaybookPath", () => {
  it.each([
    ["site.yml", "layer2/site.yml"],
    ["playbooks/./site.yml", "layer2/playbooks/site.yml"],
    ["a/../site.yml", "layer2/site.yml"],
    ["../other/site.yml", null],
    ["a/../../site.yml", null],
    ["/etc/site.yml", null],
    ["", null],
  ])("maps %s to %s", (playbook, path) => {
    expect(layerPlaybookPath({ index: 2, playbook })).toBe(path);
  });
});

describe("ansible config", () => {
  it("uses the repository's ansible.cfg, else a default without host key checking or retry files", () => {
    expect(ansibleConfigText({ ansibleConfigText: "[defaults]\nforks = 3\n" })).toBe(
      "[defaults]\nforks = 3\n",
    );
    expect(ansibleConfigText({ ansibleConfigText: null })).toMatch(
      /host_key_checking = False\nretry_files_enabled = False/,
    );
  });

  it("points ANSIBLE_CONFIG at the written file and turns colour off", () => {
    const env = ansibleEnv(
      { PATH: "/usr/bin", UNSET: undefined, ANSIBLE_FORCE_COLOR: "1" },
      "/w/ansible.cfg",
    );
    expect(env).toEqual({
      PATH: "/usr/bin",
      ANSIBLE_CONFIG: "/w/ansible.cfg",
      ANSIBLE_NOCOLOR: "1",
      ANSIBLE_FORCE_COLOR: "0",
      PYTHONUNBUFFERED: "1",
    });
  });
});
