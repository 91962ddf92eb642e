/** Image session results reach the session record: artifacts, and every IMS job (`ims_jobs`) beside CFS's `ims_job`. */
import { describe, expect, it } from "vitest";
import type { RunObservation, SessionManifest } from "../../../src/api/index.js";
import { applyObservation, newSessionRecord } from "../../../src/plan/records.js";

const IMAGE = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";

const session: SessionManifest = {
  apiVersion: "cfs-gitops/v1",
  kind: "Session",
  name: "img",
  configuration: { name: "cfg" },
  target: { definition: "image", groups: [{ name: "Compute", members: [IMAGE] }] },
};

function observed(extra: Partial<RunObservation>): RunObservation {
  return {
    name: "img",
    job: "cfs-img-0123abcd",
    phase: "complete",
    succeeded: "true",
    startTime: "2026-01-01T00:00:00Z",
    completionTime: "2026-01-01T00:05:00Z",
    layers: [],
    steps: [],
    artifacts: [],
    reason: null,
    ...extra,
  };
}

describe("an image session's record", () => {
  const record = newSessionRecord({
    session,
    source: { path: "sessions/img.yaml", commit: "c".repeat(40), blob: "b" },
    job: "cfs-img-0123abcd",
    options: null,
  });

  it("carries the artifacts and every IMS job, the first as CFS's ims_job", () => {
    const artifacts = [
      {
        image_id: IMAGE,
        result_id: "e564cd0a-f222-4f30-8337-62184e2dd86d",
        type: "ims_customized_image" as const,
      },
    ];
    const next = applyObservation(record, observed({ artifacts, imsJob: "j1", imsJobs: ["j1", "j2"] }));
    expect(next.status.artifacts).toEqual(artifacts);
    expect(next.status.session).toMatchObject({ ims_job: "j1", ims_jobs: ["j1", "j2"] });
  });

  it("has no IMS fields when the local image store ran it", () => {
    const next = applyObservation(record, observed({}));
    expect(Object.keys(next.status.session)).not.toContain("ims_job");
    expect(Object.keys(next.status.session)).not.toContain("ims_jobs");
  });
});
