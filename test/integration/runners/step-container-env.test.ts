/**
 * Issue 10, point 1, on the kubernetes runner's side: what `cfs-gitops step` (a Job's container)
 * passes on to ansible-playbook. Run in-process as the container runs it, with real git and real
 * ansible-playbook; no cluster is needed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ENV, jobSteps } from "../../../src/jobs/index.js";
import { layer, makeLayerRepo, play, runSpec, tempDir } from "../../helpers/ansible-fixtures.js";
import { runContainerCommand } from "../../helpers/kube-step-cli.js";
import { describeHit, scanForSecrets } from "../../helpers/scan-for-secrets.js";

const GIT_PASSWORD = "kube-git-pw-never-in-ansible";
const IMS_TOKEN = "kube-ims-token-never-in-ansible";
const SITE_SECRET = "kube-site-secret-not-allowed";

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
    await mkdir(join(root, "run"));
    await mkdir(join(root, "work"));
    writeFileSync(join(root, "run", "spec.json"), JSON.stringify(spec));
    const env = {
      [ENV.runSpecFile]: join(root, "run", "spec.json"),
      [ENV.workDir]: join(root, "work"),
      [ENV.resultsDir]: join(root, "work", "results"),
      [ENV.terminationMessagePath]: join(root, "termination"),
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
});
