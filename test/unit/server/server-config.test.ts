import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveControllerConfig } from "../../../src/cli/config.js";

const dir = mkdtempSync(join(tmpdir(), "cfs-server-config-"));

describe("resolveControllerConfig: HTTP server, webhook and leader election", () => {
  it("keeps everything off by default (the local demo)", () => {
    const config = resolveControllerConfig({ repo: dir }, { POD_NAMESPACE: "site" });
    expect(config).toMatchObject({
      listen: null,
      webhookSecret: null,
      namespace: "site",
      leaderElection: null,
    });
  });

  it("reads flags before the environment", () => {
    const config = resolveControllerConfig(
      { repo: dir, listen: "127.0.0.1:9090", leaderElect: true, leaseName: "cfs-a", namespace: "ops" },
      {
        CFS_GITOPS_LISTEN: ":1",
        CFS_GITOPS_LEASE_NAME: "other",
        CFS_GITOPS_NAMESPACE: "nope",
        POD_NAME: "pod-1",
      },
    );
    expect(config.listen).toEqual({ host: "127.0.0.1", port: 9090 });
    expect(config.namespace).toBe("ops");
    expect(config.leaderElection?.leaseName).toBe("cfs-a");
    expect(config.leaderElection?.identity).toMatch(/^pod-1_[0-9a-f]{8}$/);
  });

  it("takes everything from the environment too, as deploy/ does", () => {
    const config = resolveControllerConfig(
      { repo: dir },
      {
        CFS_GITOPS_LISTEN: ":8080",
        CFS_GITOPS_LEADER_ELECT: "true",
        CFS_GITOPS_NAMESPACE: "cfs-gitops",
        CFS_GITOPS_WEBHOOK_SECRET: "s",
      },
    );
    expect(config).toMatchObject({
      listen: { host: null, port: 8080 },
      webhookSecret: "s",
      namespace: "cfs-gitops",
      leaderElection: { leaseName: "cfs-gitops" },
    });
  });

  it("reads the webhook secret from a file, trimmed, before the environment", () => {
    const file = join(dir, "token");
    writeFileSync(file, "from-file\n");
    const config = resolveControllerConfig(
      { repo: dir, webhookSecretFile: file },
      { CFS_GITOPS_WEBHOOK_SECRET: "env" },
    );
    expect(config.webhookSecret).toBe("from-file");
  });

  it.each([
    [{ listen: "http://0.0.0.0:80" }, {}, /--listen http:\/\/0.0.0.0:80: expected \[host\]:port/],
    [{ listen: ":99999" }, {}, /--listen :99999/],
    [{ namespace: "Not_A_Namespace" }, {}, /--namespace Not_A_Namespace: not a namespace name/],
    [{ leaderElect: true, leaseName: "bad name" }, {}, /--lease-name bad name/],
    [{ leaderElect: true, once: true }, {}, /--once and --leader-elect cannot be combined/],
    [{ webhookSecretFile: join(dir, "missing") }, {}, /webhook secret file .*missing: cannot be read/],
  ])("fails with one clear line: %j", (flags, env, message) => {
    expect(() => resolveControllerConfig({ repo: dir, ...flags }, env)).toThrow(ConfigError);
    expect(() => resolveControllerConfig({ repo: dir, ...flags }, env)).toThrow(message);
  });

  it("rejects an empty webhook secret file", () => {
    const file = join(dir, "empty");
    writeFileSync(file, "\n");
    expect(() => resolveControllerConfig({ repo: dir, webhookSecretFile: file }, {})).toThrow(/is empty/);
  });
});
