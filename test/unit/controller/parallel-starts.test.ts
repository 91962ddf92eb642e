import { pino } from "pino";
import { describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { Controller } from "../../../src/controller/index.js";
import { IdleRunner, MemorySource, configurationText, memoryStatus, sessionText } from "./fakes.js";

const log = pino({ level: "silent" });

/** A runner whose starts wait until the test lets them go, counting how many are in flight. */
class GatedRunner extends IdleRunner {
  inFlight = 0;
  most = 0;
  private readonly gates: Array<() => void> = [];

  readonly startConcurrency?: number;

  constructor(limit?: number) {
    super();
    if (limit !== undefined) this.startConcurrency = limit;
  }

  override async start(spec: RunSpec): Promise<void> {
    this.inFlight++;
    this.most = Math.max(this.most, this.inFlight);
    await new Promise<void>((resolve) => this.gates.push(resolve));
    this.inFlight--;
    if (spec.name === "s3") throw new Error("refused");
    await super.start(spec);
  }

  /** Let every waiting start go, until the pass is over. */
  async release(pass: Promise<unknown>): Promise<void> {
    let done = false;
    void pass.finally(() => (done = true));
    while (!done) {
      for (const gate of this.gates.splice(0)) gate();
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

function controllerWith(runner: GatedRunner): Controller {
  const source = new MemorySource();
  const files: Record<string, string> = { "configurations/cfg.yaml": configurationText("cfg") };
  for (let i = 0; i < 8; i++) files[`sessions/s${i}.yaml`] = sessionText(`s${i}`, "cfg");
  source.push(files);
  return new Controller({ source, status: memoryStatus(), runner, log });
}

describe("Controller: starts of one pass", () => {
  it("run up to the runner's startConcurrency at once, each failure kept to its own session", async () => {
    const runner = new GatedRunner(3);
    const controller = controllerWith(runner);
    const pass = controller.pass();
    await runner.release(pass);
    expect(runner.most).toBe(3);
    expect(new Set(runner.started)).toEqual(new Set(["s0", "s1", "s2", "s4", "s5", "s6", "s7"]));
    expect(controller.records.sessions.get("s3")?.status.session.status).not.toBe("pending");
  });

  it("run one after another, in the plan's order, when the runner says nothing", async () => {
    const runner = new GatedRunner();
    const controller = controllerWith(runner);
    const pass = controller.pass();
    await runner.release(pass);
    expect(runner.most).toBe(1);
    expect(runner.started).toEqual(["s0", "s1", "s2", "s4", "s5", "s6", "s7"]);
  });
});
