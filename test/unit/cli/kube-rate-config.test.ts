import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { resolveControllerConfig, type ControllerFlags } from "../../../src/cli/config.js";
import { resolveKubeRate } from "../../../src/cli/kube-rate-config.js";
import { DEFAULT_KUBE_RATE } from "../../../src/runners/kubernetes/token-bucket.js";

const dir = mkdtempSync(join(tmpdir(), "cfs-kube-rate-"));
writeFileSync(join(dir, "kubeconfig"), "apiVersion: v1\nkind: Config\n");
const kube: ControllerFlags = { runner: "kubernetes", stepImage: "step:1", ansibleImage: "aee:1" };

function resolve(flags: ControllerFlags, env: Record<string, string> = {}) {
  return resolveControllerConfig({ repo: dir, ...kube, ...flags }, { POD_NAMESPACE: "cfs", ...env });
}

describe("--kube-qps and --kube-burst", () => {
  it("default to DEFAULT_KUBE_RATE and are read from flags before the environment", () => {
    expect(resolve({}).kubernetes?.rate).toEqual(DEFAULT_KUBE_RATE);
    expect(resolve({ kubeQps: "200", kubeBurst: "400" }).kubernetes?.rate).toEqual({ qps: 200, burst: 400 });
    const fromEnv = resolve({ kubeBurst: "7" }, { CFS_GITOPS_KUBE_QPS: "2.5", CFS_GITOPS_KUBE_BURST: "9" });
    expect(fromEnv.kubernetes?.rate).toEqual({ qps: 2.5, burst: 7 });
  });

  it("refuse values that cannot be a rate, with one line naming the flag", () => {
    const table: Array<[ControllerFlags, RegExp]> = [
      [{ kubeQps: "0" }, /^--kube-qps 0: must be a number of writes a second above 0$/],
      [{ kubeQps: "fast" }, /^--kube-qps fast:/],
      [{ kubeQps: "" }, /^--kube-qps :/],
      [{ kubeBurst: "0" }, /^--kube-burst 0: must be a whole number of at least 1$/],
      [{ kubeBurst: "2.5" }, /^--kube-burst 2.5:/],
    ];
    for (const [flags, message] of table) expect(() => resolve(flags)).toThrow(message);
  });

  it("resolveKubeRate answers the message instead of throwing", () => {
    expect(resolveKubeRate({ qps: "-1", burst: undefined })).toEqual({
      error: "--kube-qps -1: must be a number of writes a second above 0",
    });
    expect(resolveKubeRate({ qps: undefined, burst: undefined })).toEqual(DEFAULT_KUBE_RATE);
  });
});
