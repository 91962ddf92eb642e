import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { jobName, type SessionManifest } from "../../../src/api/index.js";
import { Controller, SourceState, type ParseFn } from "../../../src/controller/index.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { completeRecord, newSessionRecord, stableJson } from "../../../src/plan/index.js";
import { IdleRunner, MemorySource, blobOf, configurationText, memoryStatus, sessionText } from "./fakes.js";

const log = pino({ level: "silent" });
const NOW = new Date();

/** The status file of a session that completed from `text` at `path`. */
function completedRecord(name: string, text: string, commit: string): [string, string] {
  const session: SessionManifest = {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name,
    configuration: { name: "cfg" },
  };
  const blob = blobOf(text);
  const source = { path: `sessions/${name}.yaml`, commit, blob };
  const record = newSessionRecord({ session, source, job: jobName(name, blob), options: null });
  const done = completeRecord(record, { succeeded: "true", reason: "", now: NOW.toISOString() });
  return [`sessions/${name}.json`, stableJson(done)];
}

/** parseManifest, remembering which paths it was asked to parse. */
function countingParse(): { parse: ParseFn; parsed: string[] } {
  const parsed: string[] = [];
  return {
    parsed,
    parse: (input) => {
      parsed.push(input.path);
      return parseManifest(input);
    },
  };
}

function setup(): {
  source: MemorySource;
  status: ReturnType<typeof memoryStatus>;
  runner: IdleRunner;
  parsed: string[];
  controller: Controller;
} {
  const source = new MemorySource();
  const first = source.push({
    "configurations/cfg.yaml": configurationText("cfg"),
    "sessions/done.yaml": sessionText("done", "cfg"),
    "sessions/new.yaml": sessionText("new", "cfg"),
  });
  const status = memoryStatus(new Map([completedRecord("done", sessionText("done", "cfg"), first)]));
  const runner = new IdleRunner();
  const { parse, parsed } = countingParse();
  const controller = new Controller({ source, status, runner, parse, log, now: () => NOW });
  return { source, status, runner, parsed, controller };
}

describe("Controller with sessions that completed already", () => {
  it("does not read or parse a session file whose session completed from that very blob", async () => {
    const { source, runner, parsed, controller } = setup();
    await controller.pass();
    expect(parsed.sort()).toEqual(["configurations/cfg.yaml", "sessions/new.yaml"]);
    expect(source.reads).not.toContain(blobOf(sessionText("done", "cfg")));
    expect(runner.started).toEqual(["new"]);
    expect(controller.records.sessions.get("done")?.status.session.status).toBe("complete");
    expect(controller.records.problems.size).toBe(0);
  });

  it("deletes the session when its unread file is deleted", async () => {
    const { source, status, controller } = setup();
    await controller.pass();
    source.push({ "sessions/done.yaml": null });
    await controller.pass();
    expect(controller.records.sessions.has("done")).toBe(false);
    expect(status.files.has("sessions/done.json")).toBe(false);
  });

  it("reads an edit of an unread file and reports the edit as a problem, running nothing", async () => {
    const { source, runner, parsed, controller } = setup();
    await controller.pass();
    source.push({ "sessions/done.yaml": `${sessionText("done", "cfg")}debug_on_failure: true\n` });
    await controller.pass();
    expect(parsed).toContain("sessions/done.yaml");
    expect(runner.started).not.toContain("done");
    expect(controller.records.problems.get("sessions/done.yaml")?.errors[0]?.code).toBe("immutable");
  });
});

describe("SourceState", () => {
  it("reads a settled file once it is no longer settled, with the commit that introduced it", async () => {
    const source = new MemorySource();
    const first = source.push({
      "sessions/a.yaml": sessionText("a", "cfg"),
      "sessions/b.yaml": sessionText("b", "cfg"),
    });
    const settled = new Set(["sessions/a.yaml"]);
    const { parse, parsed } = countingParse();
    const state = new SourceState({ source, parse, log, settled: (path) => settled.has(path) });

    const one = await state.sync();
    expect(one).toMatchObject({ moved: true, read: 1 });
    expect([...state.settledPaths]).toEqual(["sessions/a.yaml"]);
    expect([...state.files.keys()]).toEqual(["sessions/b.yaml"]);
    const version = state.version;

    source.push({ "sessions/c.yaml": sessionText("c", "cfg") });
    settled.clear();
    const two = await state.sync();
    expect(two).toMatchObject({ moved: true, read: 2 });
    expect([...state.settledPaths]).toEqual([]);
    expect(state.files.get("sessions/a.yaml")?.commit).toBe(first);
    expect(parsed.sort()).toEqual(["sessions/a.yaml", "sessions/b.yaml", "sessions/c.yaml"]);
    expect(state.version).toBeGreaterThan(version);
  });

  it("reads a file that stops being settled even when the branch did not move", async () => {
    const source = new MemorySource();
    source.push({ "sessions/a.yaml": sessionText("a", "cfg") });
    let settled = true;
    const state = new SourceState({ source, parse: parseManifest, log, settled: () => settled });
    await state.sync();
    expect(state.files.size).toBe(0);
    const version = state.version;
    settled = false;
    expect(await state.sync()).toMatchObject({ moved: false, read: 1 });
    expect(state.files.has("sessions/a.yaml")).toBe(true);
    expect(state.version).toBe(version + 1);
  });

  it("checks again only the unread files of the sessions whose records changed", async () => {
    const source = new MemorySource();
    source.push({ "sessions/a.yaml": sessionText("a", "cfg"), "sessions/b.yml": sessionText("b", "cfg") });
    const settled = new Set(["sessions/a.yaml", "sessions/b.yml"]);
    const asked: string[] = [];
    let changed: ReadonlySet<string> | "all" = "all";
    const state = new SourceState({
      source,
      parse: parseManifest,
      log,
      settled: (path) => {
        asked.push(path);
        return settled.has(path);
      },
      settledChanges: () => {
        const names = changed;
        changed = new Set();
        return names;
      },
    });
    await state.sync();
    expect(asked.sort()).toEqual(["sessions/a.yaml", "sessions/b.yml"]); // when first seen
    asked.length = 0;
    await state.sync();
    await state.sync();
    expect(asked).toEqual([]);
    settled.clear();
    expect(await state.sync()).toMatchObject({ read: 0 });
    changed = new Set(["b", "nobody"]);
    expect(await state.sync()).toMatchObject({ read: 1 });
    expect(asked).toEqual(["sessions/b.yml"]);
    expect([...state.files.keys()]).toEqual(["sessions/b.yml"]);
    changed = "all";
    expect(await state.sync()).toMatchObject({ read: 1 });
    expect([...state.files.keys()].sort()).toEqual(["sessions/a.yaml", "sessions/b.yml"]);
  });
});

describe("Controller with the same file content at two paths", () => {
  it("parses each path on its own: a copy under another name is that file's problem, not a second session", async () => {
    const source = new MemorySource();
    source.push({
      "configurations/cfg.yaml": configurationText("cfg"),
      "sessions/a.yaml": sessionText("a", "cfg"),
      "sessions/b.yaml": sessionText("a", "cfg"),
    });
    const runner = new IdleRunner();
    const controller = new Controller({
      source,
      status: memoryStatus(new Map()),
      runner,
      log,
      now: () => NOW,
    });
    await controller.pass();
    expect(runner.started).toEqual(["a"]);
    expect(controller.records.problems.get("sessions/b.yaml")?.errors[0]?.code).toBe("name-mismatch");
    expect(controller.records.problems.has("sessions/a.yaml")).toBe(false);
  });
});

describe("SourceState with parseMany", () => {
  it("parses each part of a read together, and holds what parsing one by one holds", async () => {
    const source = new MemorySource();
    const files: Record<string, string> = { "configurations/cfg.yaml": configurationText("cfg") };
    for (let i = 0; i < 23; i++)
      files[`sessions/s${i}.yaml`] = sessionText(`s${i}`, i % 3 === 0 ? "cfg" : "x");
    files["sessions/bad.yaml"] = "a: [";
    files["ansible-configs/x.cfg"] = "[defaults]\n";
    source.push(files);
    const batches: number[] = [];
    let oneByOne = 0;
    const together = new SourceState({
      source,
      parse: (input) => {
        oneByOne += 1;
        return parseManifest(input);
      },
      parseMany: (inputs) => {
        batches.push(inputs.length);
        return Promise.resolve(inputs.map((input) => parseManifest(input)));
      },
      readPart: 10,
      manyFrom: 20,
      log,
    });
    const alone = new SourceState({ source, parse: parseManifest, log });
    await together.sync();
    await alone.sync();
    expect(batches).toEqual([10, 10, 5]); // 26 files read in parts of 10: the ansible config is read, not parsed
    expect(oneByOne).toBe(0);
    expect([...together.files.values()]).toEqual([...alone.files.values()]);
    expect(together.ansibleConfigs).toEqual(alone.ansibleConfigs);
    source.push({
      "sessions/s1.yaml": sessionText("s1", "cfg"),
      "sessions/new.yaml": sessionText("new", "cfg"),
    });
    await together.sync();
    expect(batches).toEqual([10, 10, 5]); // a read under manyFrom uses parse, one file after another
    expect(oneByOne).toBe(2);
  });
});
