/**
 * debug_on_failure on the local runner, with real git and real ansible-playbook: a session whose
 * playbook fails keeps its environment and stays running, saying where it is and how to release
 * it, until `complete` is created in its work directory or debug_wait_time has passed; only then
 * does it complete, failed. A failed clone does not wait (CFS waits in the ansible container only).
 */
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { RunObservation, SessionManifest } from "../../../src/api/index.js";
import { createLocalRunner, type LocalRunnerOptions } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import {
  failingPlaybook,
  isComplete,
  layer,
  makeLayerRepo,
  runSpec,
  tempDir,
  waitForRun,
} from "../../helpers/ansible-fixtures.js";

const runners: Runner[] = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
});

async function newRunner(dataDir: string, extra: Partial<LocalRunnerOptions> = {}): Promise<Runner> {
  const runner = await createLocalRunner({
    dataDir,
    log: pino({ level: "silent" }),
    maxConcurrent: 2,
    killGraceMs: 2_000,
    ...extra,
  });
  runners.push(runner);
  return runner;
}

function debugSession(name: string): SessionManifest {
  return {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name,
    configuration: { name: `${name}-config` },
    debug_on_failure: true,
  };
}

const isWaiting = (obs: RunObservation): boolean => obs.debug !== undefined;

describe("local runner: debug_on_failure", () => {
  it("keeps a failed session running with its work directory until it is released", async () => {
    const root = tempDir();
    const repo = makeLayerRepo(root, "layer", { "site.yml": failingPlaybook() });
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const spec = runSpec(
      "held",
      [layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" })],
      { session: debugSession("held"), debugWaitTime: 3600 },
    );

    await runner.start(spec);
    const waiting = await waitForRun(runner, "held", isWaiting);

    expect(waiting).toMatchObject({ phase: "running", succeeded: "none" });
    expect(waiting.reason).toContain("failed");
    const workDir = waiting.debug?.work_dir ?? "";
    expect(workDir).toBe(join(dataDir, "runs", spec.job, "work"));
    expect(existsSync(join(workDir, "layer0", "site.yml"))).toBe(true);
    expect(existsSync(join(workDir, "hosts", "01-cfs-generated.yaml"))).toBe(true);
    expect(waiting.debug?.release).toBe(`touch ${join(workDir, "complete")}`);
    const log = (await runner.readLog(spec.job, "ansible-0")) ?? "";
    expect(log).toContain(`debug_on_failure: the session's work directory ${workDir}`);
    expect(log).toContain(`touch ${join(workDir, "complete")}`);

    writeFileSync(join(workDir, "complete"), "");
    const obs = await waitForRun(runner, "held", isComplete);

    expect(obs).toMatchObject({ phase: "complete", succeeded: "false" });
    expect(obs.reason).toContain("failed");
    expect(obs.debug).toBeUndefined();
  });

  it("ends the wait after debug_wait_time seconds without a release", async () => {
    const root = tempDir();
    const repo = makeLayerRepo(root, "layer", { "site.yml": failingPlaybook() });
    const start = Date.parse("2026-12-01T00:00:00Z");
    let advanced = 0;
    const debugWaits: number[] = [];
    const runner = await newRunner(join(root, "data"), {
      now: () => new Date(start + advanced),
      sleep: (ms) => {
        advanced += ms;
        if (ms === 1_000) debugWaits.push(ms);
        return new Promise((resolve) => setImmediate(resolve));
      },
    });
    const spec = runSpec(
      "timed",
      [layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" })],
      { session: debugSession("timed"), debugWaitTime: 120 },
    );

    await runner.start(spec);
    const obs = await waitForRun(runner, "timed", isComplete);

    expect(obs).toMatchObject({ succeeded: "false" });
    expect(obs.debug).toBeUndefined();
    // It waited in 1 s polls until 120 s had passed on the runner's clock (other polls share it).
    expect(debugWaits.length).toBeGreaterThan(0);
    expect(debugWaits.length).toBeLessThanOrEqual(120);
    expect(advanced).toBeGreaterThanOrEqual(120_000);
  });

  it("does not wait when the session did not ask for it, or a clone failed", async () => {
    const root = tempDir();
    const repo = makeLayerRepo(root, "layer", { "site.yml": failingPlaybook() });
    const runner = await newRunner(join(root, "data"), {
      cloneRetry: { attempts: 1, delayMs: 0, maxDelayMs: 0 },
    });
    const plain = runSpec("plain", [
      layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" }),
    ]);
    const clone = runSpec(
      "clone-fails",
      [layer(0, { clone_url: join(root, "missing.git"), branch: "main", playbook: "site.yml" })],
      { session: debugSession("clone-fails"), debugWaitTime: 3600 },
    );

    await runner.start(plain);
    await runner.start(clone);

    expect(await waitForRun(runner, "plain", isComplete)).toMatchObject({ succeeded: "false" });
    expect(await waitForRun(runner, "clone-fails", isComplete)).toMatchObject({ succeeded: "false" });
  });
});
