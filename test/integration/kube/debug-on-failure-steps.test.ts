/**
 * debug_on_failure in the Job's ansible container, run the way the CLI runs it (`cfs-gitops step
 * ...`) with real git and real ansible-playbook; directories stand in for the pod's volumes. After
 * a failed layer the container waits for the release file (CFS's /tmp/complete) before it exits,
 * says so in its log with the kubectl command that ends the wait, and the wait ends on its own
 * once debug_wait_time has passed (an injected clock, so no test waits for real).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import {
  debugWaitInLog,
  decodeStepMessage,
  ENV,
  jobSteps,
  stepLogProgress,
  type JobLayout,
} from "../../../src/jobs/index.js";
import { waitForDebugInContainer } from "../../../src/runners/kubernetes/container/debug-wait-step.js";
import { resolveStepConfig } from "../../../src/runners/kubernetes/container/step-config.js";
import {
  failingPlaybook,
  layer,
  makeLayerRepo,
  runSpec,
  tempDir,
  type LayerRepo,
} from "../../helpers/ansible-fixtures.js";
import { runContainerCommand } from "../../helpers/kube-step-cli.js";

let root: string;
let bad: LayerRepo;

beforeAll(() => {
  root = tempDir("cfs-debug-");
  bad = makeLayerRepo(root, "bad", { "site.yml": failingPlaybook() });
});

function failingSpec(name: string, debug: boolean): RunSpec {
  const spec = runSpec(name, [layer(0, { clone_url: bad.path, commit: bad.commit, playbook: "site.yml" })]);
  return { ...spec, session: { ...spec.session, debug_on_failure: debug }, debugWaitTime: 600 };
}

/** Runs every container of the pod in order; the release file already exists (the admin released it). */
async function runPod(spec: RunSpec, layout: JobLayout) {
  const dir = tempDir("cfs-debug-pod-");
  await mkdir(join(dir, "run"));
  await mkdir(join(dir, "work"));
  writeFileSync(join(dir, "run", "spec.json"), JSON.stringify(spec));
  const release = join(dir, "complete");
  writeFileSync(release, "");
  const env: Record<string, string> = {
    [ENV.runSpecFile]: join(dir, "run", "spec.json"),
    [ENV.workDir]: join(dir, "work"),
    [ENV.resultsDir]: join(dir, "work", "results"),
    [ENV.jobLayout]: layout,
    [ENV.namespace]: "site",
    [ENV.podName]: "cfs-pod-x",
    [ENV.debugReleaseFile]: release,
  };
  const logs = new Map<string, string>();
  const messages = new Map<string, ReturnType<typeof decodeStepMessage>>();
  for (const step of jobSteps(spec, layout)) {
    const termination = join(dir, `${step.name}.termination`);
    const layerFlag = step.layer === null ? [] : ["--layer", String(step.layer)];
    const run = await runContainerCommand({
      argv: ["step", step.kind, ...layerFlag],
      env: { ...env, [ENV.terminationMessagePath]: termination },
    });
    logs.set(step.name, run.stdout);
    messages.set(
      step.name,
      decodeStepMessage(existsSync(termination) ? readFileSync(termination, "utf8") : ""),
    );
  }
  return { logs, messages };
}

describe("debug_on_failure in the ansible container", () => {
  it.each(["cfs", "per-layer"] as const)(
    "waits after the failed layer, printing the wait and how to end it (%s layout)",
    async (layout) => {
      const { logs, messages } = await runPod(failingSpec(`dbg-${layout}`, true), layout);
      const container = layout === "cfs" ? "ansible" : "ansible-0";
      const log = logs.get(container) ?? "";
      expect(log).toContain(
        "end the wait now with: kubectl exec -n site cfs-pod-x -c " + container + " -- touch /tmp/complete",
      );
      expect(log).toContain("debug_on_failure: the wait is over (released)");
      // The wait began after the playbook failed, and the log shows it over.
      expect(log.indexOf("PLAY RECAP")).toBeLessThan(log.indexOf("##cfs-gitops## debug {"));
      expect(debugWaitInLog(log)).toBeNull();
      const waiting = log.slice(0, log.indexOf("##cfs-gitops## debug-end"));
      expect(debugWaitInLog(waiting)).toMatchObject({
        work_dir: expect.stringMatching(/work$/) as unknown,
        release: `kubectl exec -n site cfs-pod-x -c ${container} -- touch /tmp/complete`,
      });
      if (layout === "cfs") {
        // The failed layer's end line comes before the wait, so the record shows it while waiting.
        expect(stepLogProgress(waiting).ended.map((m) => [m.step, m.status])).toEqual([
          ["ansible-0", "failed"],
        ]);
      }
      const last = layout === "cfs" ? "ansible" : "report";
      expect(messages.get(last)?.status).toBe("failed");
    },
    120_000,
  );

  it("does not wait when the session does not ask for it", async () => {
    const { logs } = await runPod(failingSpec("nodbg", false), "cfs");
    expect(logs.get("ansible")).not.toContain("##cfs-gitops## debug");
  }, 120_000);
});

describe("waitForDebugInContainer", () => {
  async function step(seconds: number, releaseFile: string) {
    const spec = { ...failingSpec("clock", true), debugWaitTime: seconds };
    const config = resolveStepConfig({
      kind: "ansible",
      env: {
        [ENV.runSpecFile]: "/x/spec.json",
        [ENV.workDir]: "/cfs/work",
        [ENV.resultsDir]: "/cfs/work/results",
        [ENV.jobLayout]: "cfs",
        [ENV.debugReleaseFile]: releaseFile,
      },
    });
    if ("error" in config) throw new Error(config.error);
    const out: string[] = [];
    let now = Date.parse("2026-12-06T10:00:00Z");
    const sleeps: number[] = [];
    const clock = {
      now: () => new Date(now),
      sleep: (ms: number) => {
        sleeps.push(ms);
        now += ms;
        if (sleeps.length === 3 && seconds > 10) writeFileSync(releaseFile, "");
        return Promise.resolve();
      },
    };
    const [ansible] = jobSteps(spec, "cfs").filter((s) => s.kind === "ansible");
    if (ansible === undefined) throw new Error("no ansible step");
    const end = await waitForDebugInContainer({
      config,
      env: {},
      out: { write: (text: string) => out.push(text) },
      clock,
      spec,
      step: ansible,
      earlier: [],
    });
    return { end, sleeps, log: out.join("") };
  }

  it("ends on its own once debug_wait_time has passed", async () => {
    const { end, sleeps, log } = await step(3, join(root, "never-created"));
    expect(end).toBe("timed-out");
    expect(sleeps).toEqual([1000, 1000, 1000]);
    expect(log).toContain("until 2026-12-06T10:00:03Z");
  });

  it("ends when the release file appears", async () => {
    const { end, sleeps } = await step(3600, join(root, "released-later"));
    expect(end).toBe("released");
    expect(sleeps).toHaveLength(3);
  });
});
