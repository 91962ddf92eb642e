import type { V1Container, V1Job } from "@kubernetes/client-node";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jobName, SESSION_NAME_PATTERN, MAX_SESSION_NAME } from "../../../src/api/index.js";
import {
  ANNOTATION_RUN_SPEC,
  BuildJobError,
  buildJob,
  ENV,
  isDnsLabel,
  jobLabels,
  MAX_ANNOTATION_BYTES,
  type BuildJobInput,
} from "../../../src/jobs/index.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function input(fixture: RunSpecFixture = {}, options: Partial<BuildJobInput["options"]> = {}): BuildJobInput {
  return {
    spec: runSpec(fixture),
    namespace: "services",
    images: { step: "registry.local/cfs-gitops:1", ansible: "registry.local/cfs-aee:1" },
    options: { ttlSecondsAfterFinished: 3600, activeDeadlineSeconds: 7200, ...options },
  };
}

function podOf(job: V1Job) {
  const pod = job.spec?.template.spec;
  if (pod === undefined) throw new Error("job has no pod template");
  return pod;
}

function names(containers: V1Container[] | undefined): string[] {
  return (containers ?? []).map((c) => c.name);
}

function allContainers(job: V1Job): V1Container[] {
  const pod = podOf(job);
  return [...(pod.initContainers ?? []), ...pod.containers];
}

function env(container: V1Container | undefined, name: string) {
  return container?.env?.find((e) => e.name === name);
}

describe("buildJob", () => {
  it.each([
    {
      title: "a 1-layer dynamic session",
      fixture: { layers: 1 },
      init: ["git-clone-0", "inventory", "ansible-0"],
      main: ["report"],
    },
    {
      title: "a 3-layer session",
      fixture: { layers: 3 },
      init: ["git-clone-0", "git-clone-1", "git-clone-2", "inventory", "ansible-0", "ansible-1", "ansible-2"],
      main: ["report"],
    },
    {
      title: "an image target",
      fixture: { layers: 2, definition: "image" as const },
      init: ["git-clone-0", "git-clone-1", "inventory", "ansible-0", "ansible-1"],
      main: ["teardown"],
    },
    {
      title: "additional inventory",
      fixture: { layers: 1, additionalInventory: true },
      init: ["git-clone-0", "git-clone-hosts", "inventory", "ansible-0"],
      main: ["report"],
    },
    {
      title: "layers kept under a configuration.limit",
      fixture: { indices: [1, 4] },
      init: ["git-clone-1", "git-clone-4", "inventory", "ansible-1", "ansible-4"],
      main: ["report"],
    },
  ])("lays out containers as in the CFS seeds for $title", ({ fixture, init, main }) => {
    const pod = podOf(buildJob(input(fixture)));
    expect(names(pod.initContainers)).toEqual(init);
    expect(names(pod.containers)).toEqual(main);
  });

  it("runs each step as `cfs-gitops step <kind>` with its layer, never through a shell", () => {
    const job = buildJob(input({ layers: 2, definition: "image", additionalInventory: true }));
    const commands = Object.fromEntries(allContainers(job).map((c) => [c.name, c.command]));
    expect(commands).toEqual({
      "git-clone-0": ["cfs-gitops", "step", "git-clone", "--layer", "0"],
      "git-clone-1": ["cfs-gitops", "step", "git-clone", "--layer", "1"],
      "git-clone-hosts": ["cfs-gitops", "step", "git-clone-hosts"],
      inventory: ["cfs-gitops", "step", "inventory"],
      "ansible-0": ["cfs-gitops", "step", "ansible", "--layer", "0"],
      "ansible-1": ["cfs-gitops", "step", "ansible", "--layer", "1"],
      teardown: ["cfs-gitops", "step", "teardown"],
    });
  });

  it("uses the ansible image only for ansible steps", () => {
    const job = buildJob(input({ layers: 2 }));
    const images = Object.fromEntries(allContainers(job).map((c) => [c.name, c.image]));
    expect(images).toMatchObject({
      "git-clone-0": "registry.local/cfs-gitops:1",
      inventory: "registry.local/cfs-gitops:1",
      "ansible-0": "registry.local/cfs-aee:1",
      "ansible-1": "registry.local/cfs-aee:1",
      report: "registry.local/cfs-gitops:1",
    });
  });

  it("names, labels and annotates the Job and its pod", () => {
    const spec = runSpec({ name: "example-session" });
    const job = buildJob({ ...input(), spec });
    const labels = {
      "app.kubernetes.io/name": "cfs-gitops",
      "app.kubernetes.io/managed-by": "cfs-gitops",
      "app.kubernetes.io/instance": spec.job,
      cfsession: "example-session",
      aee: "example-session",
      configuration: "example-config",
    };
    expect(job.metadata?.name).toBe(spec.job);
    expect(job.metadata?.name).toMatch(/^cfs-example-session-[0-9a-f]{8}$/);
    expect(job.metadata?.namespace).toBe("services");
    expect(job.metadata?.labels).toEqual(labels);
    expect(job.spec?.template.metadata?.labels).toEqual(labels);
    expect(job.metadata?.annotations).toEqual({
      "cfs-gitops/session": "example-session",
      "cfs-gitops/configuration": "example-config",
      "cfs-gitops/source-commit": spec.sourceCommit,
    });
    expect(job.spec?.template.metadata?.annotations?.["kubectl.kubernetes.io/default-container"]).toBe(
      "report",
    );
  });

  it("fails fast and cleans up: no retries, no restarts, a TTL and a deadline", () => {
    const job = buildJob(input({}, { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 900 }));
    expect(job.spec).toMatchObject({
      backoffLimit: 0,
      ttlSecondsAfterFinished: 60,
      activeDeadlineSeconds: 900,
    });
    expect(podOf(job)).toMatchObject({
      restartPolicy: "Never",
      automountServiceAccountToken: false,
      enableServiceLinks: false,
    });
    expect(job.spec?.selector).toBeUndefined();
  });

  it("leaves a session's TTL out when sessions never expire", () => {
    const job = buildJob(input({}, { ttlSecondsAfterFinished: null }));
    expect(job.spec && "ttlSecondsAfterFinished" in job.spec).toBe(false);
  });

  it("asks for no privileges, as the restricted Pod Security Standard requires", () => {
    const job = buildJob(input({ layers: 2, additionalInventory: true }));
    expect(podOf(job).securityContext).toEqual({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    for (const container of allContainers(job)) {
      expect(container.securityContext).toEqual({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
      });
    }
  });

  it("carries the RunSpec once, in a pod annotation read through a downward API file", () => {
    const spec = runSpec({ layers: 2 });
    const job = buildJob({ ...input(), spec });
    const annotation = job.spec?.template.metadata?.annotations?.[ANNOTATION_RUN_SPEC];
    expect(JSON.parse(annotation ?? "null")).toEqual(spec);
    const volume = podOf(job).volumes?.find((v) => v.name === "run-spec");
    expect(volume?.downwardAPI?.items).toEqual([
      { path: "spec.json", fieldRef: { fieldPath: "metadata.annotations['cfs-gitops/run-spec']" } },
    ]);
    for (const container of allContainers(job)) {
      expect(container.volumeMounts).toContainEqual({
        name: "run-spec",
        mountPath: "/cfs/run",
        readOnly: true,
      });
      expect(container.volumeMounts).toContainEqual({ name: "work", mountPath: "/cfs/work" });
    }
    expect(podOf(job).volumes).toContainEqual({ name: "work", emptyDir: {} });
  });

  it("reports through File termination messages with a budget that fits the pod's 12 KiB", () => {
    const job = buildJob(input({ layers: 3 }));
    const containers = allContainers(job);
    expect(containers).toHaveLength(8);
    for (const container of containers) {
      expect(container.terminationMessagePolicy).toBe("File");
      expect(container.terminationMessagePath).toBe("/dev/termination-log");
      expect(env(container, ENV.terminationMessageBytes)?.value).toBe(String(Math.floor(12288 / 8)));
    }
  });

  it("tells each container only what differs between Jobs, not the image's own paths", () => {
    const job = buildJob(input({ layers: 2 }));
    for (const container of allContainers(job)) {
      const names = (container.env ?? []).map((variable) => variable.name);
      expect(names.slice(0, 2)).toEqual([ENV.terminationMessageBytes, ENV.jobLayout]);
      for (const name of [ENV.runSpecFile, ENV.workDir, ENV.resultsDir, ENV.terminationMessagePath])
        expect(names).not.toContain(name);
    }
  });

  it("passes git credentials by Secret reference, only to the git-clone steps", () => {
    const job = buildJob(
      input({ layers: 1, additionalInventory: true }, { gitCredentialsSecret: "vcs-user" }),
    );
    const withCredentials = allContainers(job).filter((c) => env(c, ENV.gitPassword) !== undefined);
    expect(names(withCredentials)).toEqual(["git-clone-0", "git-clone-hosts"]);
    for (const container of withCredentials) {
      expect(env(container, ENV.gitUsername)).toEqual({
        name: "CFS_GIT_USERNAME",
        valueFrom: { secretKeyRef: { name: "vcs-user", key: "username", optional: false } },
      });
      expect(env(container, ENV.gitPassword)?.value).toBeUndefined();
    }
    expect(JSON.stringify(job)).not.toContain('"CFS_GIT_PASSWORD","value"');
  });

  it("tells every container the site's allowed step variables (names only), and nothing without a list", () => {
    const job = buildJob(input({ layers: 1 }, { stepEnv: ["SITE_PROXY", "no_proxy"] }));
    for (const container of allContainers(job))
      expect(env(container, ENV.stepEnv)).toEqual({ name: "CFS_STEP_ENV", value: "SITE_PROXY,no_proxy" });
    const plain = buildJob(input({ layers: 1 }));
    expect(allContainers(plain).some((c) => env(c, ENV.stepEnv) !== undefined)).toBe(false);
  });

  it("has no credential variables without a Secret", () => {
    const job = buildJob(input({ layers: 1 }));
    expect(allContainers(job).some((c) => env(c, ENV.gitUsername) !== undefined)).toBe(false);
  });

  it.each([
    { configMap: undefined, name: "cfs-default-ansible-cfg" },
    { configMap: "site-ansible-cfg", name: "site-ansible-cfg" },
  ])(
    "mounts the ansible config ConfigMap $name, optional, into the ansible steps only",
    ({ configMap, name }) => {
      const options = configMap === undefined ? {} : { ansibleConfigMap: configMap };
      const job = buildJob(input({ layers: 2 }, options));
      expect(podOf(job).volumes).toContainEqual({
        name: "ansible-config",
        configMap: { name, optional: true },
      });
      const mounted = allContainers(job).filter((c) =>
        c.volumeMounts?.some((m) => m.name === "ansible-config"),
      );
      expect(names(mounted)).toEqual(["ansible-0", "ansible-1"]);
      expect(env(mounted[0], ENV.ansibleConfigDir)?.value).toBe("/cfs/ansible-config");
    },
  );

  it("applies resources per image kind and the service account when given", () => {
    const ansible = { requests: { cpu: "500m", memory: "1Gi" } };
    const step = { requests: { cpu: "100m" } };
    const job = buildJob(
      input({ layers: 2 }, { resources: { ansible, step }, serviceAccountName: "cfs-aee" }),
    );
    const resources = Object.fromEntries(allContainers(job).map((c) => [c.name, c.resources]));
    expect(resources).toEqual({
      "git-clone-0": step,
      "git-clone-1": step,
      inventory: step,
      "ansible-0": ansible,
      "ansible-1": ansible,
      report: step,
    });
    expect(podOf(job).serviceAccountName).toBe("cfs-aee");
  });

  it("leaves resources and the service account unset by default", () => {
    const job = buildJob(input());
    expect(allContainers(job).every((c) => c.resources === undefined)).toBe(true);
    expect(podOf(job).serviceAccountName).toBeUndefined();
  });

  it.each([
    { code: "invalid-job-name", change: { job: "Not_A_Label" } },
    { code: "invalid-job-name", change: { job: `cfs-${"x".repeat(60)}` } },
    { code: "duplicate-layer-index", change: { layers: runSpec({ indices: [0, 0] }).layers } },
    { code: "invalid-layer-index", change: { layers: runSpec({ indices: [-1] }).layers } },
    {
      code: "run-spec-too-large",
      change: { ansibleConfigText: "x".repeat(MAX_ANNOTATION_BYTES) },
    },
  ])("throws BuildJobError $code for a spec that cannot become a Job", ({ code, change }) => {
    const base = input();
    const attempt = () => buildJob({ ...base, spec: { ...base.spec, ...change } });
    expect(attempt).toThrow(BuildJobError);
    expect(attempt).toThrow(expect.objectContaining({ code }));
  });

  it("gives a valid Job name and label values for any valid session and configuration name", () => {
    const sessionName = fc
      .stringMatching(new RegExp(SESSION_NAME_PATTERN))
      .filter((name) => name.length <= MAX_SESSION_NAME);
    fc.assert(
      fc.property(
        sessionName,
        fc.string({ maxLength: 80 }),
        fc.stringMatching(/^[0-9a-f]{40}$/),
        (name, configuration, blob) => {
          const spec = { ...runSpec({ name }), job: jobName(name, blob), configurationName: configuration };
          const job = buildJob({ ...input(), spec });
          expect(isDnsLabel(job.metadata?.name ?? "")).toBe(true);
          for (const value of Object.values(job.metadata?.labels ?? {})) {
            expect(value.length).toBeLessThanOrEqual(63);
            expect(value).toMatch(LABEL_VALUE);
          }
          for (const container of allContainers(job)) expect(isDnsLabel(container.name)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("jobLabels", () => {
  it("gives valid label values for arbitrary names, whatever the manifest validation let through", () => {
    const text = fc.string({ unit: "binary", maxLength: 120 });
    fc.assert(
      fc.property(text, text, text, (name, job, configurationName) => {
        for (const value of Object.values(jobLabels({ name, job, configurationName }))) {
          expect(value.length).toBeLessThanOrEqual(63);
          expect(value).toMatch(LABEL_VALUE);
        }
      }),
      { numRuns: 500 },
    );
  });
});
