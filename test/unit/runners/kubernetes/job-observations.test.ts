import type { V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { buildJob } from "../../../../src/jobs/index.js";
import { JobObservations } from "../../../../src/runners/kubernetes/job-observations.js";
import { runSpec } from "../../../helpers/kube-run-specs.js";

const T0 = new Date("2024-05-01T10:00:00Z");
const T2 = new Date("2024-05-01T10:01:00Z");

/** A Job as buildJob writes it and the API server answers it: uid, resourceVersion, status. */
function job(meta: { uid: string; rv: string }, status: V1Job["status"] = {}): V1Job {
  const built = buildJob({
    spec: runSpec({ layers: 2 }),
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 3600 },
  });
  const metadata = { ...built.metadata, uid: meta.uid, resourceVersion: meta.rv, creationTimestamp: T0 };
  return { ...built, metadata, status: { startTime: T0, ...status } };
}

const complete: V1Job["status"] = {
  conditions: [{ type: "Complete", status: "True", reason: "", message: "", lastTransitionTime: T2 }],
  completionTime: T2,
};

describe("JobObservations", () => {
  it("makes a Job's observation once while neither the Job nor its pod changes", () => {
    const cache = new JobObservations();
    const first = cache.of({ job: job({ uid: "u1", rv: "10" }), pod: null });
    expect(first?.obs.name).toBe("example-session");
    expect(first?.created).toBe(T0.getTime());
    // A new object from the informer with the same uid and resourceVersion: the same observation, not made again.
    expect(cache.of({ job: job({ uid: "u1", rv: "10" }), pod: null })).toBe(first);
  });

  it("makes it again when the Job's resourceVersion moves (it completed)", () => {
    const cache = new JobObservations();
    expect(cache.of({ job: job({ uid: "u1", rv: "10" }), pod: null })?.obs.phase).not.toBe("complete");
    const done = cache.of({ job: job({ uid: "u1", rv: "11" }, complete), pod: null });
    expect(done?.obs).toMatchObject({ phase: "complete", succeeded: "true" });
  });

  it("makes it again for a Job replaced under the same name (new uid, whatever its resourceVersion)", () => {
    const cache = new JobObservations();
    expect(cache.of({ job: job({ uid: "u1", rv: "10" }, complete), pod: null })?.obs.phase).toBe("complete");
    const replaced = cache.of({ job: job({ uid: "u2", rv: "10" }), pod: null });
    expect(replaced?.obs.phase).not.toBe("complete");
  });

  it("makes it again when the pod changes, and forgets Jobs deleted or no longer listed", () => {
    const cache = new JobObservations();
    const live = job({ uid: "u1", rv: "10" });
    const first = cache.of({ job: live, pod: null });
    const pod: V1Pod = { metadata: { name: "p", uid: "p1", resourceVersion: "20" }, status: {} };
    expect(cache.of({ job: live, pod })).not.toBe(first);
    expect(
      cache.of({ job: live, pod: { ...pod, metadata: { ...pod.metadata, resourceVersion: "21" } } }),
    ).not.toBe(first);
    expect(cache.size).toBe(1);
    cache.forget(live.metadata?.name ?? "");
    expect(cache.size).toBe(0);
    cache.of({ job: live, pod: null });
    cache.keepOnly(new Set(["another"]));
    expect(cache.size).toBe(0);
  });
});
