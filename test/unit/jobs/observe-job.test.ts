import type { V1ContainerStatus, V1Job, V1JobCondition, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { RunObservation } from "../../../src/api/index.js";
import {
  buildJob,
  encodeStepMessage,
  observeJob,
  stepMessage,
  terminationMessageBudget,
  vanishedObservation,
  type StepMessageInput,
} from "../../../src/jobs/index.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const T0 = new Date("2024-05-01T10:00:00Z");
const T1 = new Date("2024-05-01T10:00:05Z");
const T2 = new Date("2024-05-01T10:01:00Z");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const RECAP = { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
const FAILED_RECAP = { ...RECAP, failed: 1 };

/** A Job as buildJob writes it, with a status. */
function job(fixture: RunSpecFixture, status: V1Job["status"] = {}, deadline = 3600): V1Job {
  const spec = runSpec(fixture);
  const built = buildJob({
    spec,
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: deadline },
  });
  return { ...built, status: { startTime: T0, ...status } };
}

function condition(type: string, reason: string, message = ""): V1JobCondition {
  return { type, status: "True", reason, message, lastTransitionTime: T2 };
}

/** A terminated container that wrote `message` (encoded as the step would, in a 5-container pod). */
function done(name: string, message: StepMessageInput | null, exitCode = 0): V1ContainerStatus {
  return {
    name,
    image: "",
    imageID: "",
    ready: false,
    restartCount: 0,
    state: {
      terminated: {
        exitCode,
        startedAt: T1,
        finishedAt: T2,
        reason: exitCode === 0 ? "Completed" : "Error",
        ...(message === null
          ? {}
          : { message: encodeStepMessage(stepMessage(message), terminationMessageBudget(5)) }),
      },
    },
  };
}

function running(name: string): V1ContainerStatus {
  return {
    name,
    image: "",
    imageID: "",
    ready: false,
    restartCount: 0,
    state: { running: { startedAt: T1 } },
  };
}

function waiting(name: string, reason = "PodInitializing", message?: string): V1ContainerStatus {
  const state = { waiting: { reason, ...(message === undefined ? {} : { message }) } };
  return { name, image: "", imageID: "", ready: false, restartCount: 0, state };
}

function pod(init: V1ContainerStatus[], main: V1ContainerStatus[] = []): V1Pod {
  return { metadata: { name: "p" }, status: { initContainerStatuses: init, containerStatuses: main } };
}

const ok = (step: string): StepMessageInput => ({ step, status: "succeeded", exit_code: 0 });
const ansibleOk = (step: string): StepMessageInput => ({
  step,
  status: "succeeded",
  exit_code: 0,
  recap: RECAP,
  hosts: { localhost: RECAP },
});

function summary(obs: RunObservation | null) {
  if (obs === null) return null;
  return {
    phase: obs.phase,
    succeeded: obs.succeeded,
    reason: obs.reason,
    steps: obs.steps.map((s) => `${s.name}:${s.status}`),
    layers: obs.layers.map((l) => `${l.index}:${l.status}`),
  };
}

/** A one-layer session before anything started. */
const PENDING = {
  phase: "pending",
  succeeded: "none",
  reason: null,
  steps: ["git-clone-0:pending", "inventory:pending", "ansible-0:pending"],
  layers: ["0:pending"],
};

describe("observeJob", () => {
  it.each([
    {
      title: "a Job without a pod is pending",
      job: job({ layers: 1 }),
      pod: null,
      want: PENDING,
    },
    {
      title: "a pod whose containers wait to start is pending",
      job: job({ layers: 1 }),
      pod: pod([waiting("git-clone-0"), waiting("inventory"), waiting("ansible-0")], [waiting("report")]),
      want: PENDING,
    },
    {
      title: "a running clone makes the session running",
      job: job({ layers: 2 }),
      pod: pod([running("git-clone-0")]),
      want: {
        phase: "running",
        succeeded: "none",
        reason: null,
        steps: [
          "git-clone-0:running",
          "git-clone-1:pending",
          "inventory:pending",
          "ansible-0:pending",
          "ansible-1:pending",
        ],
        layers: ["0:pending", "1:pending"],
      },
    },
    {
      title: "a running playbook makes its layer running",
      job: job({ layers: 1 }),
      pod: pod([
        done("git-clone-0", ok("git-clone-0")),
        done("inventory", ok("inventory")),
        running("ansible-0"),
      ]),
      want: {
        phase: "running",
        succeeded: "none",
        reason: null,
        steps: ["git-clone-0:succeeded", "inventory:succeeded", "ansible-0:running"],
        layers: ["0:running"],
      },
    },
    {
      title: "a Complete Job is complete, succeeded true, with each layer's result",
      job: job({ layers: 2 }, { conditions: [condition("Complete", "")], completionTime: T2 }),
      pod: pod(
        [
          done("git-clone-0", ok("git-clone-0")),
          done("git-clone-1", ok("git-clone-1")),
          done("inventory", ok("inventory")),
          done("ansible-0", ansibleOk("ansible-0")),
          done("ansible-1", ansibleOk("ansible-1")),
        ],
        [done("report", ok("report"))],
      ),
      want: {
        phase: "complete",
        succeeded: "true",
        reason: null,
        steps: [
          "git-clone-0:succeeded",
          "git-clone-1:succeeded",
          "inventory:succeeded",
          "ansible-0:succeeded",
          "ansible-1:succeeded",
        ],
        layers: ["0:succeeded", "1:succeeded"],
      },
    },
    {
      title: "a failed layer fails the session with its reason; the layers after it are skipped",
      job: job({ layers: 3 }, { conditions: [condition("Failed", "BackoffLimitExceeded")] }),
      pod: pod(
        [
          done("git-clone-0", ok("git-clone-0")),
          done("git-clone-1", ok("git-clone-1")),
          done("git-clone-2", ok("git-clone-2")),
          done("inventory", ok("inventory")),
          done("ansible-0", ansibleOk("ansible-0")),
          done("ansible-1", {
            step: "ansible-1",
            status: "failed",
            exit_code: 2,
            reason: "layer 1 (site.yml) failed on 1 host: x1000c0s0b0n0",
            recap: FAILED_RECAP,
            hosts: { x1000c0s0b0n0: FAILED_RECAP },
            failed_hosts: ["x1000c0s0b0n0"],
          }),
          done("ansible-2", {
            step: "ansible-2",
            status: "skipped",
            exit_code: null,
            reason: "skipped: ansible-1 failed",
          }),
        ],
        [done("report", { step: "report", status: "failed", exit_code: 1, reason: "layer 1 ..." }, 1)],
      ),
      want: {
        phase: "complete",
        succeeded: "false",
        reason: "layer 1 (site.yml) failed on 1 host: x1000c0s0b0n0",
        steps: [
          "git-clone-0:succeeded",
          "git-clone-1:succeeded",
          "git-clone-2:succeeded",
          "inventory:succeeded",
          "ansible-0:succeeded",
          "ansible-1:failed",
          "ansible-2:skipped",
        ],
        layers: ["0:succeeded", "1:failed", "2:skipped"],
      },
    },
    {
      title: "a failed clone fails its layer and the session",
      job: job({ layers: 1 }, { conditions: [condition("Failed", "BackoffLimitExceeded")] }),
      pod: pod(
        [
          done("git-clone-0", {
            step: "git-clone-0",
            status: "failed",
            exit_code: 128,
            reason: "git-clone-0: could not clone https://git.example.org/x.git: repository not found",
          }),
          done("inventory", { step: "inventory", status: "skipped", exit_code: null }),
          done("ansible-0", { step: "ansible-0", status: "skipped", exit_code: null }),
        ],
        [done("report", null, 1)],
      ),
      want: {
        phase: "complete",
        succeeded: "false",
        reason: "git-clone-0: could not clone https://git.example.org/x.git: repository not found",
        steps: ["git-clone-0:failed", "inventory:skipped", "ansible-0:skipped"],
        layers: ["0:failed"],
      },
    },
    {
      title: "a Job past its deadline says so, and names the step that was running",
      job: job({ layers: 1 }, { conditions: [condition("Failed", "DeadlineExceeded")] }, 60),
      pod: pod([
        done("git-clone-0", ok("git-clone-0")),
        done("inventory", ok("inventory")),
        running("ansible-0"),
      ]),
      want: {
        phase: "complete",
        succeeded: "false",
        reason: "the session exceeded its deadline of 60 s (ansible-0 was running)",
        steps: ["git-clone-0:succeeded", "inventory:succeeded", "ansible-0:cancelled"],
        layers: ["0:cancelled"],
      },
    },
    {
      title: "a Job past its deadline whose pod never started says why",
      job: job({ layers: 1 }, { conditions: [condition("Failed", "DeadlineExceeded")] }, 60),
      pod: pod([waiting("git-clone-0", "ImagePullBackOff", "Back-off pulling image step:1")]),
      want: {
        phase: "complete",
        succeeded: "false",
        reason:
          "the session exceeded its deadline of 60 s (git-clone-0 could not start: ImagePullBackOff: Back-off pulling image step:1)",
        steps: ["git-clone-0:skipped", "inventory:skipped", "ansible-0:skipped"],
        layers: ["0:skipped"],
      },
    },
    {
      title: "a container killed without a message fails with its exit code",
      job: job({ layers: 1 }, { conditions: [condition("Failed", "BackoffLimitExceeded")] }),
      pod: pod([
        done("git-clone-0", ok("git-clone-0")),
        done("inventory", ok("inventory")),
        { ...done("ansible-0", null, 137), state: { terminated: { exitCode: 137, reason: "OOMKilled" } } },
      ]),
      want: {
        phase: "complete",
        succeeded: "false",
        reason: "ansible-0 ended with exit code 137 (OOMKilled)",
        steps: ["git-clone-0:succeeded", "inventory:succeeded", "ansible-0:failed"],
        layers: ["0:failed"],
      },
    },
    {
      title: "a failed Job with nothing to show for it repeats the Job's condition",
      job: job({ layers: 1 }, { conditions: [condition("Failed", "PodFailurePolicy", "node went away")] }),
      pod: null,
      want: {
        phase: "complete",
        succeeded: "false",
        reason: "the Job failed (PodFailurePolicy): node went away",
        steps: ["git-clone-0:skipped", "inventory:skipped", "ansible-0:skipped"],
        layers: ["0:skipped"],
      },
    },
  ])("$title", ({ job: j, pod: p, want }) => {
    expect(summary(observeJob({ job: j, pod: p }))).toEqual(want);
  });

  it("takes per-layer results from the termination messages: commit, exit code, recap, failed hosts", () => {
    const j = job({ layers: 1 }, { conditions: [condition("Failed", "BackoffLimitExceeded")] });
    const obs = observeJob({
      job: j,
      pod: pod([
        done("git-clone-0", { ...ok("git-clone-0"), commit: COMMIT }),
        done("inventory", ok("inventory")),
        done("ansible-0", {
          step: "ansible-0",
          status: "failed",
          exit_code: 2,
          reason: "layer 0 (site.yml) failed on 1 host: nid1",
          recap: FAILED_RECAP,
          hosts: { nid1: FAILED_RECAP, nid2: RECAP },
          failed_hosts: ["nid1"],
        }),
      ]),
    });
    expect(obs?.layers[0]).toMatchObject({
      commit: COMMIT,
      status: "failed",
      exit_code: 2,
      recap: { nid1: FAILED_RECAP, nid2: RECAP },
      failed_hosts: ["nid1"],
      unreachable_hosts: [],
    });
    expect(obs?.steps.find((s) => s.name === "ansible-0")).toEqual({
      name: "ansible-0",
      status: "failed",
      exit_code: 2,
      start_time: "2024-05-01T10:00:05Z",
      completion_time: "2024-05-01T10:01:00Z",
    });
    expect(obs).toMatchObject({ startTime: "2024-05-01T10:00:05Z", completionTime: "2024-05-01T10:01:00Z" });
  });

  it("reads times given as strings, as watch events carry them", () => {
    const j = job({ layers: 1 }, { conditions: [{ type: "Complete", status: "True" }] });
    const raw = JSON.parse(JSON.stringify({ ...j, status: { ...j.status, completionTime: T2 } })) as V1Job;
    const p = JSON.parse(JSON.stringify(pod([done("git-clone-0", ok("git-clone-0"))]))) as V1Pod;
    expect(observeJob({ job: raw, pod: p })).toMatchObject({
      phase: "complete",
      startTime: "2024-05-01T10:00:05Z",
      completionTime: "2024-05-01T10:01:00Z",
    });
  });

  it("ignores a Job that names no session", () => {
    const j = job({ layers: 1 });
    const bare: V1Job = { ...j, metadata: { name: j.metadata?.name ?? "" } };
    expect(observeJob({ job: bare, pod: null })).toBeNull();
  });

  it("still reports a Job whose run spec cannot be read, by its session annotation", () => {
    const j = job(
      { name: "broken", layers: 1 },
      { conditions: [condition("Complete", "")], completionTime: T2 },
    );
    const annotations = { ...j.spec?.template.metadata?.annotations, "cfs-gitops/run-spec": "{not json" };
    const broken: V1Job = {
      ...j,
      spec: { ...j.spec!, template: { ...j.spec!.template, metadata: { annotations } } },
    };
    expect(observeJob({ job: broken, pod: null })).toMatchObject({
      name: "broken",
      phase: "complete",
      succeeded: "true",
      layers: [],
      steps: [],
    });
  });
});

describe("vanishedObservation", () => {
  it("ends a run whose Job disappeared as unknown, as CFS does", () => {
    const obs = observeJob({ job: job({ layers: 1 }), pod: pod([running("git-clone-0")]) });
    expect(vanishedObservation(obs!, "2024-05-01T11:00:00Z")).toMatchObject({
      phase: "complete",
      succeeded: "unknown",
      completionTime: "2024-05-01T11:00:00Z",
      reason: expect.stringMatching(
        /^the Job cfs-example-session-[0-9a-f]{8} was deleted before the session ended/,
      ),
    });
  });

  it("keeps a run that had ended as it was (a Job its TTL removed)", () => {
    const obs = observeJob({
      job: job({ layers: 1 }, { conditions: [condition("Complete", "")], completionTime: T2 }),
      pod: null,
    });
    expect(vanishedObservation(obs!, "2024-05-01T11:00:00Z")).toBe(obs);
  });
});

describe("observeJob: the images of an image session", () => {
  const IMAGE = "902b4a80-3ac2-40d5-b65e-86ac3e12f209";
  const RESULT = "5a0b7c6e-1d2f-4e3a-9b8c-7d6e5f4a3b2c";
  const JOB_A = "11111111-2222-4333-8444-555555555555";
  const JOB_B = "66666666-7777-4888-9999-aaaaaaaaaaaa";
  const ARTIFACT = { image_id: IMAGE, result_id: RESULT, type: "ims_customized_image" as const };
  const early = [done("git-clone-0", ok("git-clone-0")), done("ansible-0", ansibleOk("ansible-0"))];
  const inventory = (jobs: string[]) =>
    done("inventory", { ...ok("inventory"), exit_code: null, ims_jobs: jobs });

  it.each([
    ["no image step has ended", [], [], {}],
    ["inventory staged one IMS job", [inventory([JOB_A])], [], { imsJob: JOB_A, imsJobs: [JOB_A] }],
    [
      "teardown made the result image",
      [inventory([JOB_A])],
      [
        done("teardown", {
          step: "teardown",
          status: "succeeded",
          exit_code: null,
          artifacts: [ARTIFACT],
          ims_jobs: [JOB_A],
        }),
      ],
      { artifacts: [ARTIFACT], imsJob: JOB_A, imsJobs: [JOB_A] },
    ],
    [
      "teardown's job ids win over inventory's (every job, in image order)",
      [inventory([JOB_A])],
      [
        done("teardown", {
          step: "teardown",
          status: "succeeded",
          exit_code: null,
          ims_jobs: [JOB_A, JOB_B],
        }),
      ],
      { imsJob: JOB_A, imsJobs: [JOB_A, JOB_B] },
    ],
    [
      "a failed layer: teardown records no artifact",
      [inventory([JOB_A])],
      [done("teardown", { step: "teardown", status: "succeeded", exit_code: null, ims_jobs: [JOB_A] }, 1)],
      { imsJob: JOB_A, imsJobs: [JOB_A] },
    ],
    ["a teardown message that is not one", [inventory([])], [{ ...done("teardown", null, 1) }], {}],
  ] as Array<[string, V1ContainerStatus[], V1ContainerStatus[], Partial<RunObservation>]>)(
    "%s",
    (_what, init, main, expected) => {
      const obs = observeJob({
        job: job({ layers: 1, definition: "image" }),
        pod: pod([...early, ...init], main),
      });
      expect({ artifacts: obs?.artifacts, imsJob: obs?.imsJob, imsJobs: obs?.imsJobs }).toEqual({
        artifacts: [],
        imsJob: undefined,
        imsJobs: undefined,
        ...expected,
      });
    },
  );

  it("keeps the artifact count when the list does not fit the message, and records none", () => {
    const artifacts = Array.from({ length: 40 }, () => ARTIFACT);
    const text = encodeStepMessage(
      stepMessage({ step: "teardown", status: "succeeded", exit_code: null, artifacts }),
      terminationMessageBudget(5),
    );
    expect(JSON.parse(text)).toMatchObject({ artifact_count: 40, truncated: true });
    const status = { ...done("teardown", null), state: { terminated: { exitCode: 0, message: text } } };
    const obs = observeJob({ job: job({ layers: 1, definition: "image" }), pod: pod(early, [status]) });
    expect(obs?.artifacts).toEqual([]);
  });
});
