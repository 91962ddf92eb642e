import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveControllerConfig, type ControllerFlags } from "../../../../src/cli/config.js";
import { DEFAULT_KUBE_RATE, ttlSeconds } from "../../../../src/runners/kubernetes/index.js";

const dir = mkdtempSync(join(tmpdir(), "cfs-runner-config-"));
const kubeconfig = join(dir, "kubeconfig");
writeFileSync(kubeconfig, "apiVersion: v1\nkind: Config\n");
const images = { stepImage: "registry.local/cfs-gitops:1", ansibleImage: "registry.local/cfs-aee:1" };

function resolve(flags: ControllerFlags, env: Record<string, string> = {}) {
  return resolveControllerConfig({ repo: dir, ...flags }, { POD_NAMESPACE: "cfs", ...env });
}

describe("resolveControllerConfig: the runner", () => {
  it("runs sessions locally unless told otherwise", () => {
    expect(resolve({})).toMatchObject({ runner: "local", kubernetes: null });
  });

  it("takes the kubernetes runner's flags, with a 6 h deadline by default", () => {
    expect(resolve({ runner: "kubernetes", ...images })).toMatchObject({
      runner: "kubernetes",
      namespace: "cfs",
      kubernetes: {
        kubeconfig: null,
        stepImage: images.stepImage,
        ansibleImage: images.ansibleImage,
        jobDeadlineSeconds: 21_600,
        gitCredentialsSecret: null,
        jobLayout: "cfs",
        nodeSshSecret: null,
      },
    });
  });

  it("takes --ssh-key for the local runner, as an absolute path, only when only its owner can read it", () => {
    const key = join(dir, "id_ecdsa");
    writeFileSync(key, "not really a key\n", { mode: 0o600 });
    expect(resolve({ sshKey: key })).toMatchObject({ runner: "local", sshKey: key });
    expect(resolve({})).toMatchObject({ sshKey: null });
    const open = join(dir, "id_open");
    writeFileSync(open, "not really a key\n", { mode: 0o644 });
    expect(() => resolve({ sshKey: open })).toThrow(
      new ConfigError(
        `--ssh-key ${open}: readable by others (mode 0644); ssh refuses such a key: chmod 600 it`,
      ),
    );
  });

  it("reads them from the environment too", () => {
    const config = resolve(
      {},
      {
        CFS_GITOPS_RUNNER: "kubernetes",
        CFS_GITOPS_KUBECONFIG: kubeconfig,
        CFS_GITOPS_STEP_IMAGE: "step:2",
        CFS_GITOPS_ANSIBLE_IMAGE: "aee:2",
        CFS_GITOPS_JOB_DEADLINE: "90m",
        CFS_GITOPS_GIT_CREDENTIALS_SECRET: "vcs-user",
        CFS_GITOPS_JOB_LAYOUT: "per-layer",
        CFS_GITOPS_NODE_SSH_SECRET: "cfs-trust-key",
      },
    );
    expect(config.kubernetes).toEqual({
      kubeconfig,
      stepImage: "step:2",
      ansibleImage: "aee:2",
      jobDeadlineSeconds: 5400,
      gitCredentialsSecret: "vcs-user",
      jobLayout: "per-layer",
      nodeSshSecret: "cfs-trust-key",
      imageService: null,
      rate: DEFAULT_KUBE_RATE,
    });
  });

  it.each([
    [{ runner: "docker" }, "--runner docker: use local or kubernetes"],
    [
      { runner: "kubernetes", ansibleImage: "a:1" },
      "--runner kubernetes needs --step-image <image> (or CFS_GITOPS_STEP_IMAGE)",
    ],
    [
      { runner: "kubernetes", stepImage: "s:1" },
      "--runner kubernetes needs --ansible-image <image> (or CFS_GITOPS_ANSIBLE_IMAGE)",
    ],
    [
      { runner: "kubernetes", ...images, stepImage: "a b" },
      "--step-image a b: an image reference has no spaces",
    ],
    [
      { runner: "kubernetes", ...images, jobDeadline: "soon" },
      "--job-deadline soon: not a duration of at least 1s (use e.g. 90m, 6h)",
    ],
    [
      { runner: "kubernetes", ...images, jobDeadline: "0s" },
      "--job-deadline 0s: not a duration of at least 1s (use e.g. 90m, 6h)",
    ],
    [
      { runner: "kubernetes", ...images, kubeconfig: join(dir, "nope") },
      `--kubeconfig ${join(dir, "nope")}: no such file`,
    ],
    [
      { runner: "kubernetes", ...images, gitCredentialsSecret: "Vcs_User" },
      "--git-credentials-secret Vcs_User: not a Secret name",
    ],
    [{ runner: "kubernetes", ...images, jobLayout: "flat" }, "--job-layout flat: use cfs or per-layer"],
    [
      { runner: "kubernetes", ...images, nodeSshSecret: "Trust_Key" },
      "--node-ssh-secret Trust_Key: not a Secret name",
    ],
    [
      { runner: "kubernetes", ...images, sshKey: "/etc/hostname" },
      "--ssh-key is a file of the local runner; with --runner kubernetes pass --node-ssh-secret <name>",
    ],
    [
      { nodeSshSecret: "cfs-trust-key" },
      "--node-ssh-secret is for --runner kubernetes; the local runner takes --ssh-key <file>",
    ],
    [{ jobLayout: "cfs" }, "--job-layout is for --runner kubernetes (the local runner has no Job)"],
    [{ sshKey: join(dir, "missing") }, `--ssh-key ${join(dir, "missing")}: no such file`],
  ] as Array<[ControllerFlags, string]>)("rejects %o with one line", (flags, message) => {
    expect(() => resolve(flags)).toThrow(new ConfigError(message));
  });
});

describe("ttlSeconds", () => {
  it.each([
    [undefined, 604_800],
    ["7d", 604_800],
    ["2h", 7200],
    ["0m", 0],
    ["", null],
    ["bogus", 604_800],
  ])("keeps a Job of session_ttl %o for %o seconds", (ttl, seconds) => {
    expect(ttlSeconds(ttl)).toBe(seconds);
  });
});

describe("resolveControllerConfig: IMS for the kubernetes runner", () => {
  const ims = {
    runner: "kubernetes",
    ...images,
    imageService: "ims",
    imsUrl: "https://ims.example/apis/ims",
  };

  it("gives the Jobs the IMS endpoint, timeouts and the Secrets by name", () => {
    const config = resolve({ ...ims, imsTokenSecret: "ims-token", imsSshKeySecret: "cfs-ssh" });
    expect(config.kubernetes?.imageService).toEqual({
      imsUrl: "https://ims.example/apis/ims",
      imsTokenSecret: "ims-token",
      sshKeySecret: "cfs-ssh",
      sshNetwork: "cluster.local",
      timeouts: { jobReadyMs: 1_800_000, sshReadyMs: 300_000, resultMs: 3_600_000 },
    });
  });

  it("reads the Secret names from the environment, and needs no token Secret (in-mesh IMS)", () => {
    const config = resolve(ims, { CFS_GITOPS_IMS_SSH_KEY_SECRET: "cfs-ssh" });
    expect(config.kubernetes?.imageService).toMatchObject({ sshKeySecret: "cfs-ssh" });
    expect(config.kubernetes?.imageService).not.toHaveProperty("imsTokenSecret");
  });

  it("gives the Jobs no image service with the default image service", () => {
    expect(resolve({ runner: "kubernetes", ...images }).kubernetes?.imageService).toBeNull();
  });

  it.each([
    [
      ims,
      "--runner kubernetes --image-service ims needs --ims-ssh-key-secret <name> (a Secret with id_ed25519 and id_ed25519.pub)",
    ],
    [
      { ...ims, imsSshKeySecret: "cfs-ssh", imsTokenFile: kubeconfig },
      "--ims-token-file is read by the local runner; with --runner kubernetes pass --ims-token-secret <name>",
    ],
    [{ ...ims, imsSshKeySecret: "Bad_Name" }, "--ims-ssh-key-secret Bad_Name: not a Secret name"],
    [
      { runner: "kubernetes", ...images, imsSshKeySecret: "cfs-ssh" },
      "--ims-token-secret and --ims-ssh-key-secret need --image-service ims",
    ],
    [
      { imageService: "ims", imsUrl: "https://ims.example/apis/ims", imsTokenSecret: "ims-token" },
      "--ims-token-secret and --ims-ssh-key-secret are for --runner kubernetes (the local runner reads --ims-token-file)",
    ],
  ] as Array<[ControllerFlags, string]>)("rejects %o with one line", (flags, message) => {
    expect(() => resolve(flags)).toThrow(new ConfigError(message));
  });
});
