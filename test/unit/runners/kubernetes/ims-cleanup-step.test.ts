import { describe, expect, it } from "vitest";
import { publicKeyName } from "../../../../src/images/names.js";
import { imsLeftovers, resolveImsCleanupConfig } from "../../../../src/runners/kubernetes/container/index.js";

const JOB_A = "6b1b7c6e-2f35-4d7e-9a0e-0b7d2c1f4a11";
const JOB_B = "d4c0a3f0-7b1e-4a2c-8f5e-5e9d7c3b2a10";

describe("imsLeftovers", () => {
  const run = "cfs-img-11467420";
  const keys = [
    { id: "k1", name: publicKeyName(run) },
    { id: "k2", name: publicKeyName("cfs-other-0000") },
  ];
  const jobs = [
    { id: JOB_A, status: "waiting_on_user" as const, public_key_id: "k1" },
    { id: JOB_B, status: "creating" as const, public_key_id: "k2" },
    { id: "j3", status: "error" as const },
  ];
  const cases: Array<{ name: string; known: string[]; expected: { jobIds: string[]; keyIds: string[] } }> = [
    {
      name: "the run's key and the jobs that use it",
      known: [],
      expected: { jobIds: [JOB_A], keyIds: ["k1"] },
    },
    { name: "reported jobs too", known: ["j3"], expected: { jobIds: [JOB_A, "j3"], keyIds: ["k1"] } },
    {
      name: "nothing for reported jobs IMS no longer has",
      known: ["gone"],
      expected: { jobIds: [JOB_A], keyIds: ["k1"] },
    },
  ];
  for (const c of cases) {
    it(`finds ${c.name}`, () => {
      expect(imsLeftovers({ job: run, keys, jobs, knownJobs: c.known })).toEqual(c.expected);
    });
  }
  it("finds nothing of another run", () => {
    expect(imsLeftovers({ job: "cfs-x-1", keys, jobs, knownJobs: [] })).toEqual({ jobIds: [], keyIds: [] });
  });
});

describe("resolveImsCleanupConfig", () => {
  it("reads the job, endpoint, token, reported ids and settle time", () => {
    expect(
      resolveImsCleanupConfig({
        CFS_JOB: "cfs-a-1",
        CFS_IMS_URL: "http://ims",
        CFS_IMS_TOKEN: "t",
        CFS_IMS_JOBS: `${JOB_A},${JOB_B}`,
        CFS_IMS_CLEANUP_SETTLE_MS: "0",
      }),
    ).toEqual({ job: "cfs-a-1", url: "http://ims", token: "t", knownJobs: [JOB_A, JOB_B], settleMs: 0 });
  });
  it("says what is missing or wrong in one line", () => {
    expect(resolveImsCleanupConfig({ CFS_IMS_URL: "http://ims" })).toHaveProperty("error");
    expect(
      resolveImsCleanupConfig({ CFS_JOB: "j", CFS_IMS_URL: "u", CFS_IMS_CLEANUP_SETTLE_MS: "soon" }),
    ).toEqual({ error: "CFS_IMS_CLEANUP_SETTLE_MS soon: must be a whole number of milliseconds" });
  });
});
