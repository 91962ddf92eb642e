/** The Job of an image session: IMS endpoint and token for inventory and teardown, the SSH key where it is used. */
import type { V1Container, V1Job } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { ENV, buildJob, type BuildJobInput, type JobImageService } from "../../../src/jobs/index.js";
import { runSpec, type RunSpecFixture } from "../../helpers/kube-run-specs.js";

const SERVICE: JobImageService = {
  imsUrl: "http://cray-ims.services.svc.cluster.local",
  imsTokenSecret: "cfs-ims-token",
  sshKeySecret: "cfs-image-ssh-key",
};

function job(fixture: RunSpecFixture, service: JobImageService | null = SERVICE): V1Job {
  const input: BuildJobInput = {
    spec: runSpec(fixture),
    namespace: "services",
    images: { step: "registry.local/cfs-gitops:1", ansible: "registry.local/cfs-aee:1" },
    options: {
      ttlSecondsAfterFinished: 3600,
      activeDeadlineSeconds: 7200,
      ...(service === null ? {} : { imageService: service }),
    },
  };
  return buildJob(input);
}

function containers(j: V1Job): V1Container[] {
  const pod = j.spec?.template.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

function envNames(c: V1Container): string[] {
  return (c.env ?? []).map((e) => e.name).filter((n) => n.startsWith("CFS_IMS") || n === ENV.sshKeyDir);
}

describe("buildJob for image sessions", () => {
  it("gives inventory and teardown the IMS endpoint and token, and every key user the SSH key, read-only", () => {
    const j = job({ layers: 2, definition: "image" });
    expect(
      containers(j).map((c) => [
        c.name,
        envNames(c),
        (c.volumeMounts ?? []).some((m) => m.name === "ssh-key"),
      ]),
    ).toEqual([
      ["git-clone-0", [], false],
      ["git-clone-1", [], false],
      ["inventory", [ENV.sshKeyDir, ENV.imsUrl, ENV.imsSshNetwork, ENV.imsToken], true],
      ["ansible-0", [ENV.sshKeyDir], true],
      ["ansible-1", [ENV.sshKeyDir], true],
      ["teardown", [ENV.sshKeyDir, ENV.imsUrl, ENV.imsSshNetwork, ENV.imsToken], true],
    ]);
    const teardown = containers(j).find((c) => c.name === "teardown");
    expect(teardown?.env?.find((e) => e.name === ENV.imsToken)).toEqual({
      name: ENV.imsToken,
      valueFrom: { secretKeyRef: { name: "cfs-ims-token", key: "token", optional: false } },
    });
    expect(teardown?.volumeMounts?.find((m) => m.name === "ssh-key")).toEqual({
      name: "ssh-key",
      mountPath: "/cfs/ssh",
      readOnly: true,
    });
    expect(j.spec?.template.spec?.volumes?.find((v) => v.name === "ssh-key")).toEqual({
      name: "ssh-key",
      secret: { secretName: "cfs-image-ssh-key", defaultMode: 0o400 },
    });
  });

  it("adds nothing to sessions that do not target images, or without an image service", () => {
    for (const j of [
      job({ layers: 1, definition: "dynamic" }),
      job({ layers: 1, definition: "image" }, null),
    ]) {
      expect(containers(j).flatMap(envNames)).toEqual([]);
      expect(j.spec?.template.spec?.volumes?.map((v) => v.name)).not.toContain("ssh-key");
    }
  });

  it("sends no token when IMS is reached inside the mesh without one", () => {
    const j = job(
      { layers: 1, definition: "image" },
      { imsUrl: SERVICE.imsUrl, sshKeySecret: "k", sshNetwork: "customer_access" },
    );
    const inventory = containers(j).find((c) => c.name === "inventory");
    expect(inventory === undefined ? [] : envNames(inventory)).toEqual([
      ENV.sshKeyDir,
      ENV.imsUrl,
      ENV.imsSshNetwork,
    ]);
    expect(inventory?.env?.find((e) => e.name === ENV.imsSshNetwork)?.value).toBe("customer_access");
  });
});
