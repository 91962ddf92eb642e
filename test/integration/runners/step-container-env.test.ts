/**
 * Issue 10, point 1, on the kubernetes runner's side: what `cfs-gitops step` (a Job's container)
 * passes on to ansible-playbook. Run in-process as the container runs it, with real git and real
 * ansible-playbook; no cluster is needed.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { ENV, jobSteps } from "../../../src/jobs/index.js";
import { layer, makeLayerRepo, play, runSpec, tempDir } from "../../helpers/ansible-fixtures.js";
import { runContainerCommand } from "../../helpers/kube-step-cli.js";
import { describeHit, scanForSecrets } from "../../helpers/scan-for-secrets.js";

const GIT_PASSWORD = "kube-git-pw-never-in-ansible";
const IMS_TOKEN = "kube-ims-token-never-in-ansible";
const SITE_SECRET = "kube-site-secret-not-allowed";

/** A pod's directories with `spec` in place, and the environment the Job sets. */
async function pod(root: string, spec: RunSpec): Promise<Record<string, string>> {
  await mkdir(join(root, "run"), { recursive: true });
  await mkdir(join(root, "work"));
  writeFileSync(join(root, "run", "spec.json"), JSON.stringify(spec));
  return {
    [ENV.runSpecFile]: join(root, "run", "spec.json"),
    [ENV.workDir]: join(root, "work"),
    [ENV.resultsDir]: join(root, "work", "results"),
    [ENV.terminationMessagePath]: join(root, "termination"),
  };
}

describe("cfs-gitops step ansible", () => {
  it("gives ansible-playbook the minimal environment, the AEE variables and the allowed names only", async () => {
    const root = tempDir("cfs-step-env-");
    const dump = join(root, "env.txt");
    const repo = makeLayerRepo(root, "dump", {
      "site.yml": play(`    - ansible.builtin.shell: env > ${dump}\n`),
    });
    const spec = runSpec("envdump", [
      layer(0, { clone_url: repo.url, branch: "main", playbook: "site.yml" }),
    ]);
    const env = {
      ...(await pod(root, spec)),
      [ENV.gitUsername]: "someone",
      [ENV.gitPassword]: GIT_PASSWORD,
      [ENV.imsToken]: IMS_TOKEN,
      [ENV.stepEnv]: "SITE_PROXY,CFS_GITOPS_GIT_PASSWORD",
      CFS_GITOPS_GIT_PASSWORD: GIT_PASSWORD,
      SITE_PROXY: "http://proxy.example.org:3128",
      SITE_SECRET,
      KUBERNETES_SERVICE_HOST: "10.0.0.1",
    };
    for (const step of jobSteps(spec)) {
      const argv = ["step", step.kind, ...(step.layer === null ? [] : ["--layer", String(step.layer)])];
      const run = await runContainerCommand({ argv, env });
      expect(run.code, `${step.name}: ${run.stdout}${run.stderr}`).toBe(0);
    }
    const lines = readFileSync(dump, "utf8").split("\n");
    expect(lines).toEqual(
      expect.arrayContaining([
        "SESSION_NAME=envdump",
        `SESSION_CLONE_URL=${repo.url}`,
        "SESSION_PLAYBOOK=site.yml",
        "LAYER_CURRENT=0",
        "INVENTORY_TYPE=dynamic",
        "SITE_PROXY=http://proxy.example.org:3128",
        `PATH=${process.env["PATH"] ?? ""}`,
      ]),
    );
    const names = lines.map((line) => line.split("=")[0] ?? "");
    expect(names.filter((name) => /^(CFS_|KUBERNETES_|SITE_SECRET|GIT_CONFIG_)/.test(name))).toEqual([]);
    const secrets = { "git password": GIT_PASSWORD, "IMS token": IMS_TOKEN, "site secret": SITE_SECRET };
    expect(scanForSecrets({ secrets, dirs: [root] }).map(describeHit)).toEqual([]);
  });

  it("refuses a playbook that is a symlink out of the layer's clone", async () => {
    const root = tempDir("cfs-step-link-");
    const marker = join(root, "outside-ran");
    const outside = join(root, "outside.yml");
    writeFileSync(outside, play(`    - ansible.builtin.shell: echo ran > ${marker}\n`));
    const work = join(root, "linked-work");
    mkdirSync(work);
    symlinkSync(outside, join(work, "site.yml"));
    const identity = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"];
    execFileSync("git", ["init", "-q", "-b", "main", work]);
    execFileSync("git", ["add", "-A"], { cwd: work });
    execFileSync("git", [...identity, "commit", "-q", "-m", "linked"], { cwd: work });
    const spec = runSpec("linked", [
      layer(0, { name: "base", clone_url: `file://${work}`, branch: "main", playbook: "site.yml" }),
    ]);
    const env = await pod(join(root, "pod"), spec);
    const logs: string[] = [];
    for (const step of jobSteps(spec)) {
      const argv = ["step", step.kind, ...(step.layer === null ? [] : ["--layer", String(step.layer)])];
      logs.push((await runContainerCommand({ argv, env })).stdout);
    }
    expect(logs.join("\n")).toContain(
      "ansible-0 failed: ansible-0: playbook site.yml of layer 0 (base) is a symlink that resolves outside the layer's clone: refused",
    );
    expect(existsSync(marker)).toBe(false);
  });
});
