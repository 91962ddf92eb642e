import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { isSettledSession, type KeptSession, type SessionRecord } from "../../../src/api/index.js";
import { Controller } from "../../../src/controller/index.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { IdleRunner, MemorySource, configurationText, memoryStatus, sessionText } from "./fakes.js";

const log = pino({ level: "silent" });

/** The tags of a whole record (these sessions never complete: the runner is idle). */
function tagsOf(record: KeptSession | undefined): Record<string, string> | undefined {
  return record && !isSettledSession(record) ? record.tags : undefined;
}

function setup(): { source: MemorySource; status: ReturnType<typeof memoryStatus> } {
  const source = new MemorySource();
  source.push({
    "configurations/cfg.yaml": configurationText("cfg"),
    "sessions/a.yaml": sessionText("a", "cfg"),
    "sessions/b.yaml": sessionText("b", "cfg"),
  });
  return { source, status: memoryStatus() };
}

describe("Controller after a status commit", () => {
  it("holds the records it committed, equal to the files on the status branch", async () => {
    const { source, status } = setup();
    const controller = new Controller({
      source,
      status,
      runner: new IdleRunner(),
      parse: parseManifest,
      log,
    });
    await controller.pass();
    for (const name of ["a", "b"]) {
      const file = JSON.parse(status.files.get(`sessions/${name}.json`) ?? "null") as SessionRecord;
      expect(controller.records.sessions.get(name)).toEqual(file);
    }
  });

  it("reads back a record the store merged with another writer's version instead of keeping its own", async () => {
    const { source, status } = setup();
    const theirs = (text: string): string => {
      const record = JSON.parse(text) as SessionRecord;
      return JSON.stringify({ ...record, tags: { merged: "theirs" } });
    };
    const merging = {
      ...status,
      commit: async (input: Parameters<typeof status.commit>[0]) => {
        const changes = new Map(input.changes);
        const ours = changes.get("sessions/a.json");
        if (ours) changes.set("sessions/a.json", Buffer.from(theirs(ours.toString("utf8"))));
        return status.commit({ ...input, changes });
      },
    };
    const controller = new Controller({
      source,
      status: merging,
      runner: new IdleRunner(),
      parse: parseManifest,
      log,
    });
    await controller.pass();
    expect(tagsOf(controller.records.sessions.get("a"))).toEqual({ merged: "theirs" });
    expect(tagsOf(controller.records.sessions.get("b"))).toEqual({});
  });
});
