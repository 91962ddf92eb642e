/**
 * Only unfinished sessions hold a configuration back (issue 14, item 5): a session that completed
 * keeps its record; a later configuration change that drops the layer its `configuration.limit`
 * names is not a problem of its manifest, whether the controller read the file while the session
 * ran or never read it (a restart).
 */
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { jobName } from "../../../src/api/index.js";
import { Controller } from "../../../src/controller/index.js";
import { MemorySource, ScriptedRunner, blobOf, memoryStatus, sessionText } from "./fakes.js";

const log = pino({ level: "silent" });
const NOW = new Date("2026-11-21T12:00:00Z");

const layer = (name: string, letter: string): string =>
  `  - name: ${name}\n    clone_url: https://git.example.org/${name}.git\n    commit: ${letter.repeat(40)}\n    playbook: site.yml\n`;
const configuration = (...layers: string[]): string =>
  `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: cfg\nlayers:\n${layers.join("")}`;
const limited = (name: string): string => `${sessionText(name, "cfg")}  limit: app\n`;

describe("a configuration change that drops a layer named in a session's configuration.limit", () => {
  it("is no problem of a completed session's manifest, and is one of a session not yet run", async () => {
    const source = new MemorySource();
    source.push({
      "configurations/cfg.yaml": configuration(layer("base", "a"), layer("app", "b")),
      "sessions/done.yaml": limited("done"),
    });
    const status = memoryStatus(new Map());
    const runner = new ScriptedRunner();
    const controller = new Controller({ source, status, runner, log, now: () => NOW });
    await controller.pass();
    expect(runner.started).toEqual(["done"]);
    runner.set({
      name: "done",
      job: jobName("done", blobOf(limited("done"))),
      phase: "complete",
      succeeded: "true",
      startTime: "2026-11-21T11:59:00Z",
      completionTime: "2026-11-21T11:59:30Z",
      layers: [],
      steps: [],
      artifacts: [],
      reason: null,
    });
    await controller.pass();
    expect(controller.records.sessions.get("done")?.status.session.status).toBe("complete");

    source.push({
      "configurations/cfg.yaml": configuration(layer("base", "a")),
      "sessions/later.yaml": limited("later"),
    });
    await controller.pass();
    expect(controller.records.problems.has("sessions/done.yaml")).toBe(false);
    expect(status.files.has("problems/sessions/done.yaml.json")).toBe(false);
    expect(controller.records.problems.get("sessions/later.yaml")?.errors[0]?.code).toBe("unknown-layer");
    expect(controller.records.sessions.get("done")?.status.session.status).toBe("complete");

    // A restart (the completed session's file is not even read then) agrees.
    const again = new Controller({ source, status, runner: new ScriptedRunner(), log, now: () => NOW });
    await again.pass();
    expect(again.records.problems.has("sessions/done.yaml")).toBe(false);
    expect(again.records.problems.has("sessions/later.yaml")).toBe(true);
  });
});
