import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { Controller } from "../../../src/controller/index.js";
import { parseManifest } from "../../../src/manifest/index.js";
import { IdleRunner, MemorySource, memoryStatus, sessionText } from "./fakes.js";

describe("Controller", () => {
  it("assembles the desired state again only when the source moved", async () => {
    const source = new MemorySource();
    source.push({ "sessions/lost.yaml": sessionText("lost", "missing") });
    const located: string[] = [];
    const controller = new Controller({
      source,
      status: memoryStatus(),
      runner: new IdleRunner(),
      parse: parseManifest,
      locate: (_text, pointer) => {
        located.push(pointer);
        return { line: 5, column: 9 };
      },
      log: pino({ level: "silent" }),
    });

    await controller.pass();
    await controller.pass();
    await controller.pass();
    // locate runs while the desired state is assembled (the unknown configuration is a cross-file error)
    expect(located).toEqual(["/configuration/name"]);
    expect(controller.records.problems.get("sessions/lost.yaml")?.errors[0]).toMatchObject({
      line: 5,
      column: 9,
    });

    source.push({ "sessions/other.yaml": sessionText("other", "missing") });
    await controller.pass();
    expect(located).toHaveLength(3);
    expect([...controller.records.problems.keys()].sort()).toEqual([
      "sessions/lost.yaml",
      "sessions/other.yaml",
    ]);
  });
});
