import type { V1Container, V1ContainerStatus, V1Job, V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  beginMarker,
  BuildJobError,
  buildJob,
  decodeStepMessage,
  encodeStepMessage,
  endMarker,
  ENV,
  jobSteps,
  NODE_SSH_KEY_DIR,
  observeJob,
  runningAllLayersContainer,
  splitStepLog,
  stepLogProgress,
  stepLogSource,
  stepMessage,
  terminationMessageBudget,
  type JobOptions,
  type StepMessage,
} from "../../../src/jobs/index.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const T1 = new Date("2024-05-01T10:00:05Z");
const T2 = new Date("2024-05-01T10:01:00Z");
const COMMIT = "0123456789abcdef0123456789abcdef01234567";
const RECAP = { ok: 2, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };

function job(fixture: RunSpecFixture, options: Partial<JobOptions> = {}): V1Job {
  return buildJob({
    spec: runSpec(fixture),
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 3600, ...options },
  });
}

function containers(built: V1Job): { init: V1Container[]; main: V1Container[] } {
  const pod = built.spec?.template.spec;
  return { init: pod?.initContainers ?? [], main: pod?.containers ?? [] };
}

function envOf(container: V1Container | undefined): Record<string, string> {
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value ?? "(ref)"]));
}

function terminated(name: string, message: StepMessage, budget: number): V1ContainerStatus {
  return {
    name,
    image: "",
    imageID: "",
    ready: false,
    restartCount: 0,
    state: {
      terminated: {
        exitCode: 0,
        startedAt: T1,
        finishedAt: T2,
        message: encodeStepMessage(message, budget),
      },
    },
  };
}

function runningStatus(name: string): V1ContainerStatus {
  return {
    name,
    image: "",
    imageID: "",
    ready: false,
    restartCount: 0,
    state: { running: { startedAt: T1 } },
  };
}

function podWith(init: V1ContainerStatus[], main: V1ContainerStatus[] = []): V1Pod {
  return { metadata: { name: "p" }, status: { initContainerStatuses: init, containerStatuses: main } };
}

const ansiblePart = (index: number, status: "succeeded" | "failed" | "skipped" = "succeeded") =>
  stepMessage({
    step: `ansible-${index}`,
    status,
    exit_code: status === "skipped" ? null : status === "failed" ? 2 : 0,
    recap: status === "skipped" ? null : RECAP,
    hosts: status === "skipped" ? null : { nid1: RECAP },
    ...(status === "failed"
      ? { failed_hosts: ["nid1"], reason: `layer ${index} failed on 1 host: nid1` }
      : {}),
  });
const clonePart = (index: number) =>
  stepMessage({ step: `git-clone-${index}`, status: "succeeded", exit_code: 0, commit: COMMIT });

describe("buildJob with the cfs layout (seed 000)", () => {
  it("runs git-clone and inventory as init containers and one ansible container last", () => {
    const built = job({ layers: 3, additionalInventory: true }, { layout: "cfs" });
    const { init, main } = containers(built);
    expect(init.map((c) => c.name)).toEqual(["git-clone", "inventory"]);
    expect(main.map((c) => [c.name, c.image, c.command])).toEqual([
      ["ansible", "aee:1", ["cfs-gitops", "step", "ansible"]],
    ]);
    expect(init[0]?.command).toEqual(["cfs-gitops", "step", "git-clone"]);
    expect(built.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/default-container"]).toBe(
      "ansible",
    );
    for (const c of [...init, ...main]) expect(envOf(c)[ENV.jobLayout]).toBe("cfs");
  });

  it("adds teardown last for image targets, with ansible an init container before it", () => {
    const { init, main } = containers(job({ layers: 2, definition: "image" }, { layout: "cfs" }));
    expect(init.map((c) => c.name)).toEqual(["git-clone", "inventory", "ansible"]);
    expect(main.map((c) => c.name)).toEqual(["teardown"]);
  });

  it("keeps the per-layer layout (seed 001) when asked, and by default in the library", () => {
    const { init, main } = containers(job({ layers: 2 }, { layout: "per-layer" }));
    expect([...init, ...main].map((c) => c.name)).toEqual([
      "git-clone-0",
      "git-clone-1",
      "inventory",
      "ansible-0",
      "ansible-1",
      "report",
    ]);
    expect(containers(job({ layers: 2 })).init.map((c) => c.name)).toEqual(init.map((c) => c.name));
    expect(jobSteps(runSpec({ layers: 1 }), "cfs").map((s) => [s.name, s.layer, s.init])).toEqual([
      ["git-clone", null, true],
      ["inventory", null, true],
      ["ansible", null, false],
    ]);
  });
});

describe("buildJob: how many layers the cfs layout can report", () => {
  it("takes 34 layers of a node session, and refuses more with what to do", () => {
    expect(containers(job({ layers: 34 }, { layout: "cfs" })).init.map((c) => c.name)).toEqual([
      "git-clone",
      "inventory",
    ]);
    expect(() => job({ layers: 35 }, { layout: "cfs" })).toThrow(
      /^session example-session has 35 layers: the cfs Job layout reports every layer's result in 4096 bytes and they need \d+; run it with --job-layout per-layer$/,
    );
    expect(() => job({ layers: 35 })).not.toThrow();
  });

  it("has less room in an image session's pod (four containers share the kubelet's 12 KiB)", () => {
    expect(() => job({ layers: 26, definition: "image" }, { layout: "cfs" })).not.toThrow();
    expect(() => job({ layers: 27, definition: "image" }, { layout: "cfs" })).toThrow(BuildJobError);
  });
});

describe("buildJob: clone retries", () => {
  it.each(["cfs", "per-layer"] as const)(
    "gives only the %s layout's clone containers GIT_RETRY_MAX and GIT_RETRY_DELAY",
    (layout) => {
      const built = job(
        { layers: 2, additionalInventory: true },
        {
          layout,
          cloneRetry: { attempts: 5, delayMs: 2500 },
        },
      );
      const all = [...containers(built).init, ...containers(built).main];
      const withRetry = all.filter((c) => envOf(c)[ENV.gitRetryMax] !== undefined).map((c) => c.name);
      expect(withRetry).toEqual(
        layout === "cfs" ? ["git-clone"] : ["git-clone-0", "git-clone-1", "git-clone-hosts"],
      );
      expect(envOf(all[0])).toMatchObject({ GIT_RETRY_MAX: "5", GIT_RETRY_DELAY: "2.5" });
    },
  );

  it("sets none without the site's setting (the container keeps CFS's 60 x 10 s)", () => {
    const all = containers(job({ layers: 1 }, { layout: "cfs" })).init;
    expect(all.some((c) => envOf(c)[ENV.gitRetryMax] !== undefined)).toBe(false);
  });
});

describe("buildJob: --node-ssh-secret", () => {
  it.each(["cfs", "per-layer"] as const)(
    "mounts the Secret read-only (mode 0400) into the ansible containers of a node session only (%s)",
    (layout) => {
      const built = job({ layers: 2 }, { layout, nodeSshSecret: "cfs-trust-key" });
      const volume = built.spec?.template.spec?.volumes?.find(
        (v) => v.secret?.secretName === "cfs-trust-key",
      );
      expect(volume?.secret).toEqual({ secretName: "cfs-trust-key", defaultMode: 0o400 });
      const all = [...containers(built).init, ...containers(built).main];
      const mounted = all.filter((c) => c.volumeMounts?.some((m) => m.name === volume?.name));
      expect(mounted.map((c) => c.name)).toEqual(layout === "cfs" ? ["ansible"] : ["ansible-0", "ansible-1"]);
      for (const c of mounted) {
        expect(c.volumeMounts?.find((m) => m.name === volume?.name)).toEqual({
          name: volume?.name,
          mountPath: NODE_SSH_KEY_DIR,
          readOnly: true,
        });
        expect(envOf(c)[ENV.nodeSshKeyDir]).toBe(NODE_SSH_KEY_DIR);
      }
    },
  );

  it("never gives it to an image session", () => {
    const built = job({ layers: 1, definition: "image" }, { layout: "cfs", nodeSshSecret: "cfs-trust-key" });
    expect(JSON.stringify(built)).not.toContain("cfs-trust-key");
    expect(JSON.stringify(built)).not.toContain(ENV.nodeSshKeyDir);
  });
});

describe("step logs of the cfs layout", () => {
  const log = [
    "$ git ...",
    beginMarker("ansible-0"),
    "PLAY [all]",
    "PLAY RECAP",
    endMarker(ansiblePart(0)),
    beginMarker("ansible-1"),
    "TASK [slow]",
    "",
  ].join("\n");

  it("cuts one layer's log out of the container's", () => {
    expect(splitStepLog(log, "ansible-0")).toBe("PLAY [all]\nPLAY RECAP\n");
    expect(splitStepLog(log, "ansible-1")).toBe("TASK [slow]\n");
    expect(splitStepLog(log, "ansible-2")).toBeNull();
  });

  it("knows which layers ended (with their results) and which one runs", () => {
    expect(stepLogProgress(log)).toEqual({ running: ["ansible-1"], ended: [ansiblePart(0)] });
    expect(stepLogProgress(`${log}##cfs-gitops## end ansible-1 {not json\n`).running).toEqual(["ansible-1"]);
  });

  it("finds a step's log in the per-layer container, or in the cfs layout's all-layer container", () => {
    const cfs = job({ layers: 2 }, { layout: "cfs" });
    const perLayer = job({ layers: 2 });
    expect(stepLogSource(cfs, "ansible-1")).toEqual({ container: "ansible", part: "ansible-1" });
    expect(stepLogSource(cfs, "git-clone-hosts")).toEqual({
      container: "git-clone",
      part: "git-clone-hosts",
    });
    expect(stepLogSource(cfs, "inventory")).toEqual({ container: "inventory", part: null });
    expect(stepLogSource(cfs, "ansible")).toEqual({ container: "ansible", part: null });
    expect(stepLogSource(perLayer, "ansible-1")).toEqual({ container: "ansible-1", part: null });
    expect(stepLogSource(null, "ansible-1")).toEqual({ container: "ansible-1", part: null });
  });
});

describe("observeJob of a cfs layout Job", () => {
  const budget = terminationMessageBudget(3);

  it("records each layer as the per-layer containers' messages would", () => {
    const fixture = { layers: 2 };
    const cfsJob = job(fixture, { layout: "cfs" });
    const cloneMessage = stepMessage({
      step: "git-clone",
      status: "succeeded",
      exit_code: null,
      parts: [clonePart(0), clonePart(1)],
    });
    const ansibleMessage = stepMessage({
      step: "ansible",
      status: "failed",
      exit_code: 1,
      reason: "layer 1 failed on 1 host: nid1",
      parts: [ansiblePart(0), ansiblePart(1, "failed")],
    });
    const inventory = stepMessage({ step: "inventory", status: "succeeded", exit_code: null });
    const cfsPod = podWith(
      [terminated("git-clone", cloneMessage, budget), terminated("inventory", inventory, budget)],
      [terminated("ansible", ansibleMessage, budget)],
    );
    const perLayerJob = job(fixture);
    const perLayerBudget = terminationMessageBudget(6);
    const perLayerPod = podWith(
      [
        terminated("git-clone-0", clonePart(0), perLayerBudget),
        terminated("git-clone-1", clonePart(1), perLayerBudget),
        terminated("inventory", inventory, perLayerBudget),
        terminated("ansible-0", ansiblePart(0), perLayerBudget),
        terminated("ansible-1", ansiblePart(1, "failed"), perLayerBudget),
      ],
      [terminated("report", stepMessage({ step: "report", status: "failed", exit_code: 1 }), perLayerBudget)],
    );
    const cfs = observeJob({ job: cfsJob, pod: cfsPod });
    const perLayer = observeJob({ job: perLayerJob, pod: perLayerPod });
    expect(cfs?.layers).toEqual(perLayer?.layers);
    expect(cfs?.steps).toEqual(perLayer?.steps);
    expect(cfs?.layers.map((l) => [l.status, l.exit_code, l.commit, l.failed_hosts])).toEqual([
      ["succeeded", 0, COMMIT, []],
      ["failed", 2, COMMIT, ["nid1"]],
    ]);
  });

  it("shows per-layer progress from the running ansible container's log", () => {
    const cfsJob = job({ layers: 3 }, { layout: "cfs" });
    const cloneMessage = stepMessage({
      step: "git-clone",
      status: "succeeded",
      exit_code: null,
      parts: [clonePart(0), clonePart(1), clonePart(2)],
    });
    const inventory = stepMessage({ step: "inventory", status: "succeeded", exit_code: null });
    const pod = podWith(
      [terminated("git-clone", cloneMessage, budget), terminated("inventory", inventory, budget)],
      [runningStatus("ansible")],
    );
    const progress = { running: ["ansible-1"], ended: [ansiblePart(0)] };
    expect(runningAllLayersContainer(pod)).toBe("ansible");
    const obs = observeJob({ job: cfsJob, pod, progress });
    expect(obs?.phase).toBe("running");
    expect(obs?.layers.map((l) => [l.index, l.status, l.exit_code])).toEqual([
      [0, "succeeded", 0],
      [1, "running", null],
      [2, "pending", null],
    ]);
    expect(obs?.layers[0]?.recap).toEqual({ nid1: RECAP });
    expect(obs?.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
      "git-clone-0:succeeded",
      "git-clone-1:succeeded",
      "git-clone-2:succeeded",
      "inventory:succeeded",
      "ansible-0:succeeded",
      "ansible-1:running",
      "ansible-2:pending",
    ]);
    const without = observeJob({ job: cfsJob, pod });
    expect(without?.layers.map((l) => l.status)).toEqual(["pending", "pending", "pending"]);
  });
});

describe("step messages with parts", () => {
  it("round-trip through a termination message", () => {
    const message = stepMessage({
      step: "ansible",
      status: "succeeded",
      exit_code: 0,
      parts: [ansiblePart(0), ansiblePart(1)],
    });
    expect(decodeStepMessage(encodeStepMessage(message))).toEqual(message);
  });

  it("shrink their parts to the budget, keeping each part's status, exit code and commit", () => {
    const hosts = Array.from({ length: 200 }, (_, i) => `nid${String(i).padStart(6, "0")}`);
    const parts = Array.from({ length: 12 }, (_, i) => ({
      ...ansiblePart(i, "failed"),
      failed_hosts: hosts,
      failed_host_count: hosts.length,
      commit: COMMIT,
    }));
    const message = stepMessage({ step: "ansible", status: "failed", exit_code: 1, parts });
    const budget = terminationMessageBudget(4);
    const text = encodeStepMessage(message, budget);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(budget);
    const decoded = decodeStepMessage(text);
    expect(decoded?.truncated).toBe(true);
    expect(decoded?.parts.map((p) => [p.step, p.status, p.exit_code, p.commit, p.failed_host_count])).toEqual(
      parts.map((p) => [p.step, "failed", 2, COMMIT, 200]),
    );
  });
});
