import type { V1Container, V1Job } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { RunSpec, SourceManifest } from "../../../src/api/index.js";
import { buildJob, ENV, SOURCE_CA_DIR, SOURCE_SECRETS_DIR, type JobLayout } from "../../../src/jobs/index.js";
import { layer, runSpec } from "../../helpers/ansible-fixtures.js";

const COMMIT = "0123456789abcdef0123456789abcdef01234567";

const VCS: SourceManifest = {
  apiVersion: "cfs-gitops/v1",
  kind: "Source",
  name: "vcs",
  clone_url: "https://vcs.example.org/site.git",
  credentials: { authentication_method: "password", secret_name: "vcs-creds" },
  ca_cert: { configmap_name: "site-ca" },
};
const HOSTS: SourceManifest = {
  apiVersion: "cfs-gitops/v1",
  kind: "Source",
  name: "hosts",
  clone_url: "https://other.example.org/hosts.git",
  credentials: { secret_name: "hosts-creds" },
};

/** Layer 0 through source vcs, layer 1 a plain clone_url, the inventory through source hosts. */
function spec(): RunSpec {
  return runSpec(
    "src",
    [
      layer(0, { clone_url: VCS.clone_url, source: "vcs", commit: COMMIT, playbook: "site.yml" }),
      layer(1, { clone_url: "https://public.example.org/p.git", commit: COMMIT, playbook: "site.yml" }),
    ],
    {
      additionalInventory: { clone_url: HOSTS.clone_url, source: "hosts", commit: COMMIT },
      sources: { vcs: VCS, hosts: HOSTS },
    },
  );
}

function build(layout: JobLayout): V1Job {
  return buildJob({
    spec: spec(),
    namespace: "ns",
    images: { step: "step:1", ansible: "aee:1" },
    options: {
      ttlSecondsAfterFinished: 60,
      activeDeadlineSeconds: 3600,
      layout,
      gitCredentialsSecret: "git",
    },
  });
}

function all(job: V1Job): V1Container[] {
  const pod = job.spec?.template.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/** Each container's source mounts: `name -> [mountPath (volume, readOnly)]`. */
function sourceMounts(job: V1Job): Record<string, string[]> {
  return Object.fromEntries(
    all(job).map((c) => [
      c.name,
      (c.volumeMounts ?? [])
        .filter((m) => m.mountPath.startsWith("/cfs/sources/"))
        .map((m) => `${m.mountPath} (${m.name}, ${m.readOnly === true ? "ro" : "rw"})`),
    ]),
  );
}

describe("buildJob with sources", () => {
  it("mounts each source's Secret and CA read-only in the clone of that source only (per-layer layout)", () => {
    const job = build("per-layer");
    expect(sourceMounts(job)).toEqual({
      "git-clone-0": [
        `${SOURCE_SECRETS_DIR}/vcs-creds (source-secret-1, ro)`,
        `${SOURCE_CA_DIR}/site-ca (source-ca-0, ro)`,
      ],
      "git-clone-1": [],
      "git-clone-hosts": [`${SOURCE_SECRETS_DIR}/hosts-creds (source-secret-0, ro)`],
      inventory: [],
      "ansible-0": [],
      "ansible-1": [],
      report: [],
    });
    expect(job.spec?.template.spec?.volumes?.filter((v) => v.name.startsWith("source-"))).toEqual([
      { name: "source-secret-0", secret: { secretName: "hosts-creds", optional: true, defaultMode: 0o444 } },
      { name: "source-secret-1", secret: { secretName: "vcs-creds", optional: true, defaultMode: 0o444 } },
      { name: "source-ca-0", configMap: { name: "site-ca", optional: true } },
    ]);
  });

  it("tells only the clones of a source where the mounts are", () => {
    const envs = Object.fromEntries(
      all(build("per-layer")).map((c) => [
        c.name,
        (c.env ?? []).find((e) => e.name === ENV.sourceSecretsDir),
      ]),
    );
    expect(envs["git-clone-0"]?.value).toBe(SOURCE_SECRETS_DIR);
    expect(envs["git-clone-hosts"]?.value).toBe(SOURCE_SECRETS_DIR);
    expect(envs["git-clone-1"]).toBeUndefined();
    expect(envs["ansible-0"]).toBeUndefined();
  });

  it("mounts every source in the one git-clone container of the cfs layout, and none in ansible", () => {
    expect(sourceMounts(build("cfs"))).toEqual({
      "git-clone": [
        `${SOURCE_SECRETS_DIR}/hosts-creds (source-secret-0, ro)`,
        `${SOURCE_SECRETS_DIR}/vcs-creds (source-secret-1, ro)`,
        `${SOURCE_CA_DIR}/site-ca (source-ca-0, ro)`,
      ],
      inventory: [],
      ansible: [],
    });
  });

  it("adds no source volume to a Job without sources", () => {
    const job = buildJob({
      spec: runSpec("plain", [layer(0, { clone_url: "https://x/y.git", commit: COMMIT, playbook: "a.yml" })]),
      namespace: "ns",
      images: { step: "step:1", ansible: "aee:1" },
      options: { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 3600 },
    });
    expect(job.spec?.template.spec?.volumes?.map((v) => v.name)).not.toContain("source-secret-0");
    expect(Object.values(sourceMounts(job)).flat()).toEqual([]);
  });
});
