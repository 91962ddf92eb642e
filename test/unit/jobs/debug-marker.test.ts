import type { V1Job } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  beginMarker,
  buildJob,
  debugEndMarker,
  debugMarker,
  debugReleaseCommand,
  debugWaitInLog,
  ENV,
  observeJob,
  stepLogProgress,
} from "../../../src/jobs/index.js";
import { layer, runSpec } from "../../helpers/ansible-fixtures.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const WAIT = {
  work_dir: "/cfs/work",
  until: "2026-12-06T11:00:00Z",
  release: debugReleaseCommand({ namespace: "ns", pod: "cfs-x-abc", container: "ansible" }),
};

function spec(debug: boolean) {
  const base = runSpec("dbg", [
    layer(0, { clone_url: "https://x/y.git", commit: COMMIT, playbook: "a.yml" }),
  ]);
  return { ...base, session: { ...base.session, debug_on_failure: debug }, components: [] };
}

function job(debug: boolean, layout: "cfs" | "per-layer" = "cfs"): V1Job {
  return buildJob({
    spec: spec(debug),
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 3600, layout },
  });
}

describe("debugReleaseCommand", () => {
  it("is the kubectl exec that CFS documents", () => {
    expect(WAIT.release).toBe("kubectl exec -n ns cfs-x-abc -c ansible -- touch /tmp/complete");
  });
});

describe("debugWaitInLog", () => {
  it("reads the wait a log shows going on, and none once it ended", () => {
    const waiting = ["PLAY RECAP", debugMarker(WAIT), "debug_on_failure: ..."].join("\n");
    expect(debugWaitInLog(waiting)).toEqual(WAIT);
    expect(debugWaitInLog(`${waiting}\n${debugEndMarker()}\n`)).toBeNull();
    expect(debugWaitInLog("##cfs-gitops## debug {not json}\n")).toBeNull();
    expect(debugWaitInLog('##cfs-gitops## debug {"until":"x"}\n')).toBeNull();
  });

  it("is in the log progress, so a running observation carries status.debug", () => {
    const log = `${beginMarker("ansible-0")}\n${debugMarker(WAIT)}\n`;
    const progress = stepLogProgress(log);
    expect(progress.debug).toEqual(WAIT);
    const built = job(true);
    const pod = {
      status: {
        phase: "Running",
        containerStatuses: [
          { name: "ansible", image: "", imageID: "", ready: true, restartCount: 0, state: { running: {} } },
        ],
      },
    };
    expect(observeJob({ job: built, pod, progress })?.debug).toEqual(WAIT);
    expect(
      observeJob({ job: built, pod, progress: stepLogProgress(beginMarker("ansible-0")) })?.debug,
    ).toBeUndefined();
  });
});

describe("buildJob with debug_on_failure", () => {
  it("tells the ansible container its namespace and pod name (for the release command), only then", () => {
    for (const layout of ["cfs", "per-layer"] as const) {
      const containers = [
        ...(job(true, layout).spec?.template.spec?.initContainers ?? []),
        ...(job(true, layout).spec?.template.spec?.containers ?? []),
      ];
      const ansible = containers.find((c) => c.name.startsWith("ansible"));
      expect(ansible?.env?.filter((e) => e.name === ENV.namespace || e.name === ENV.podName)).toEqual([
        { name: ENV.namespace, value: "ns" },
        { name: ENV.podName, valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      ]);
      const clone = containers.find((c) => c.name.startsWith("git-clone"));
      expect(clone?.env?.some((e) => e.name === ENV.podName)).toBe(false);
    }
    const plain = job(false).spec?.template.spec?.containers.find((c) => c.name === "ansible");
    expect(plain?.env?.some((e) => e.name === ENV.podName)).toBe(false);
  });
});
