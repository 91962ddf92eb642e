/**
 * `cfs-gitops step <name>`, the entrypoint of every container of a session's Job, run the way the
 * CLI runs it (resolveStepConfig, then runContainerStep) with real git, a real git HTTP server with
 * basic auth and real ansible-playbook. No cluster: the directories stand in for the pod's volumes.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { decodeStepMessage, ENV, jobSteps, type StepMessage } from "../../../src/jobs/index.js";
import { resolveStepConfig } from "../../../src/runners/kubernetes/container/index.js";
import {
  failingPlaybook,
  layer,
  makeLayerRepo,
  runSpec,
  tempDir,
  writeFilePlaybook,
  type LayerRepo,
} from "../../helpers/ansible-fixtures.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { runContainerCommand } from "../../helpers/kube-step-cli.js";

const USER = "cfs-user";
const PASSWORD = "s3cret-Pa55word-xyz";

let root: string;
let server: GitHttpServer;
let good: LayerRepo;
let bad: LayerRepo;

beforeAll(async () => {
  root = tempDir("cfs-step-");
  good = makeLayerRepo(root, "good", { "site.yml": writeFilePlaybook(join(root, "good-ran"), "good") });
  bad = makeLayerRepo(root, "bad", { "site.yml": failingPlaybook() });
  server = await startGitHttpServer({ root, auth: { username: USER, password: PASSWORD } });
});

afterAll(async () => {
  await server?.close();
});

/** A pod's worth of directories with the RunSpec in place, and the env the Job would set. */
async function pod(spec: RunSpec, extra: Record<string, string> = {}) {
  const dir = tempDir("cfs-pod-");
  await mkdir(join(dir, "run"));
  writeFileSync(join(dir, "run", "spec.json"), JSON.stringify(spec));
  const env: Record<string, string> = {
    [ENV.runSpecFile]: join(dir, "run", "spec.json"),
    [ENV.workDir]: join(dir, "work"),
    [ENV.resultsDir]: join(dir, "work", "results"),
    [ENV.terminationMessageBytes]: "4096",
    ...extra,
  };
  await mkdir(join(dir, "work"));
  return { dir, env };
}

/** Runs `cfs-gitops step ...` in-process, as the container runs it; exit code, stdout, stderr. */
function cli(argv: string[], env: Record<string, string>) {
  return runContainerCommand({ argv: ["step", ...argv], env });
}

/** Runs one step as the container would; its exit code, log, stderr and termination message. */
async function step(
  target: { dir: string; env: Record<string, string> },
  name: string,
  layerIndex?: number,
): Promise<{ code: number; log: string; stderr: string; message: StepMessage | null; raw: string }> {
  const terminationPath = join(target.dir, `${name}-${layerIndex ?? ""}.termination`);
  const layerFlag = layerIndex === undefined ? [] : ["--layer", String(layerIndex)];
  const run = await cli([name, ...layerFlag], {
    ...target.env,
    [ENV.terminationMessagePath]: terminationPath,
  });
  const raw = existsSync(terminationPath) ? readFileSync(terminationPath, "utf8") : "";
  return { code: run.code, log: run.stdout, stderr: run.stderr, message: decodeStepMessage(raw), raw };
}

/** Runs every container of the spec's pod in order, as the kubelet would. */
async function runAll(target: { dir: string; env: Record<string, string> }, spec: RunSpec) {
  const results = [];
  for (const s of jobSteps(spec))
    results.push({ name: s.name, ...(await step(target, s.kind, s.layer ?? undefined)) });
  return results;
}

describe("cfs-gitops step", () => {
  it("clones with the Secret's credentials over HTTP, runs the playbook and reports success", async () => {
    const spec = runSpec("ok", [
      layer(0, { clone_url: server.url("good.git"), branch: "main", playbook: "site.yml" }),
    ]);
    const target = await pod(spec, { [ENV.gitUsername]: USER, [ENV.gitPassword]: PASSWORD });
    const results = await runAll(target, spec);
    expect(results.map((r) => [r.name, r.code, r.message?.status])).toEqual([
      ["git-clone-0", 0, "succeeded"],
      ["inventory", 0, "succeeded"],
      ["ansible-0", 0, "succeeded"],
      ["report", 0, "succeeded"],
    ]);
    expect(results[0]?.message?.commit).toBe(good.commit);
    expect(results[2]?.message).toMatchObject({ exit_code: 0, recap: { ok: 1, changed: 1, failed: 0 } });
    expect(results[2]?.message?.hosts?.["localhost"]).toMatchObject({ ok: 1, changed: 1 });
    expect(readFileSync(join(root, "good-ran"), "utf8")).toBe("good\n");
    const logs = results.map((r) => r.log).join("\n");
    expect(logs).toContain("$ git clone --quiet --no-checkout -- http://127.0.0.1:");
    expect(logs).toContain("PLAY RECAP");
    expect(logs).not.toContain(PASSWORD);
    expect(logs).not.toContain(Buffer.from(`${USER}:${PASSWORD}`).toString("base64"));
  });

  it("records a failed clone, skips the steps after it, and the report exits 1 with the reason", async () => {
    const spec = runSpec("noauth", [
      layer(0, { clone_url: server.url("good.git"), branch: "main", playbook: "site.yml" }),
    ]);
    const target = await pod(spec);
    const results = await runAll(target, spec);
    expect(results.map((r) => [r.name, r.code, r.message?.status])).toEqual([
      ["git-clone-0", 0, "failed"],
      ["inventory", 0, "skipped"],
      ["ansible-0", 0, "skipped"],
      ["report", 1, "failed"],
    ]);
    expect(results[0]?.message?.reason).toMatch(
      /^git-clone-0: could not resolve the branch of http:\/\/127\.0\.0\.1:\d+\/good\.git: /,
    );
    expect(results[1]?.message?.reason).toBe("skipped: git-clone-0 failed");
    expect(results[3]?.message?.reason).toBe(results[0]?.message?.reason);
    expect(results[3]?.log).toContain("git-clone-0: failed");
    expect(results[3]?.stderr).toBe(
      `cfs-gitops: report: the session failed: ${results[0]?.message?.reason}\n`,
    );
    expect(results.slice(0, 3).map((r) => r.stderr)).toEqual(["", "", ""]);
  });

  it("exits 0 after a failed playbook, records its recap, and later layers skip themselves", async () => {
    const spec = runSpec("fails", [
      layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
      layer(1, { clone_url: bad.path, commit: bad.commit, playbook: "site.yml" }),
      layer(2, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
    ]);
    const target = await pod(spec);
    const results = await runAll(target, spec);
    expect(results.map((r) => [r.name, r.code, r.message?.status])).toEqual([
      ["git-clone-0", 0, "succeeded"],
      ["git-clone-1", 0, "succeeded"],
      ["git-clone-2", 0, "succeeded"],
      ["inventory", 0, "succeeded"],
      ["ansible-0", 0, "succeeded"],
      ["ansible-1", 0, "failed"],
      ["ansible-2", 0, "skipped"],
      ["report", 1, "failed"],
    ]);
    expect(results[5]?.message).toMatchObject({
      exit_code: 2,
      reason: "layer 1 (site.yml) failed on 1 host: localhost",
      failed_hosts: ["localhost"],
      recap: { failed: 1 },
    });
    expect(results[6]?.log).not.toContain("PLAY RECAP");
  });

  it("keeps its termination message within the budget the Job gives it", async () => {
    const spec = runSpec("budget", [
      layer(0, { clone_url: join(root, "missing.git"), commit: good.commit, playbook: "site.yml" }),
    ]);
    const target = await pod(spec, { [ENV.terminationMessageBytes]: "200" });
    const clone = await step(target, "git-clone", 0);
    expect(clone.message).toMatchObject({ step: "git-clone-0", status: "failed", exit_code: 128 });
    expect(Buffer.byteLength(clone.raw)).toBeLessThanOrEqual(200);
    const full = JSON.parse(
      readFileSync(join(target.dir, "work", "results", "git-clone-0.json"), "utf8"),
    ) as StepMessage;
    expect(full.reason).toMatch(/^git-clone-0: could not clone .*missing\.git: /);
  });

  it("uses the mounted ConfigMap's ansible.cfg when the repository has none", async () => {
    const spec = runSpec("cfg", [
      layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
    ]);
    const target = await pod(spec);
    const configDir = join(target.dir, "ansible-config");
    await mkdir(configDir);
    writeFileSync(join(configDir, "ansible.cfg"), "[defaults]\nhost_key_checking = False\n");
    target.env[ENV.ansibleConfigDir] = configDir;
    const results = await runAll(target, spec);
    expect(results.map((r) => r.message?.status)).toEqual([
      "succeeded",
      "succeeded",
      "succeeded",
      "succeeded",
    ]);
    expect(results[2]?.log).toContain(
      `using ${join(configDir, "ansible.cfg")} (ConfigMap cfs-default-ansible-cfg)`,
    );
  });

  it("fails the ansible step, naming the config, when a named config is neither in the repository nor a ConfigMap", async () => {
    const spec = runSpec(
      "nocfg",
      [layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" })],
      {
        ansibleConfig: "site-cfg",
      },
    );
    const target = await pod(spec);
    target.env[ENV.ansibleConfigDir] = join(target.dir, "ansible-config-not-mounted");
    const results = await runAll(target, spec);
    expect(results.map((r) => [r.name, r.message?.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["inventory", "succeeded"],
      ["ansible-0", "failed"],
      ["report", "failed"],
    ]);
    expect(results[2]?.message?.reason).toBe(
      'ansible-0: ansible config "site-cfg" does not exist: the repository has no ansible-configs/site-cfg.cfg and there is no ConfigMap site-cfg with key ansible.cfg (CFS fails the session too): add that file, or name an existing config in ansible.config (empty uses cfs-default-ansible-cfg)',
    );
  });

  it("fails a step that is not part of the session, and reports it", async () => {
    const spec = runSpec("nolayer", [
      layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
    ]);
    const target = await pod(spec);
    expect((await step(target, "ansible", 7)).message).toMatchObject({
      step: "ansible-7",
      status: "failed",
      reason: "ansible-7 is not a step of session nolayer",
    });
  });
});

describe("cfs-gitops step on the command line", () => {
  it("exits 2 with one line when it is not run inside a Job", async () => {
    expect(await cli(["inventory"], {})).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "cfs-gitops: no run spec at /cfs/run/spec.json: steps run inside the Jobs the kubernetes runner creates (CFS_RUN_SPEC_FILE moves it)\n",
    });
    expect((await cli(["ansible"], {})).stderr).toBe("cfs-gitops: step ansible needs --layer <index>\n");
  });
});

describe("resolveStepConfig", () => {
  const env = {
    [ENV.runSpecFile]: "/cfs/run/spec.json",
    [ENV.workDir]: "/cfs/work",
    [ENV.resultsDir]: "/cfs/work/results",
  };

  it.each([
    {
      kind: "clone",
      layer: undefined,
      env,
      error:
        'unknown step "clone": use one of git-clone, git-clone-hosts, inventory, ansible, teardown, report',
    },
    { kind: "ansible", layer: undefined, env, error: "step ansible needs --layer <index>" },
    {
      kind: "ansible",
      layer: "-1",
      env,
      error: "--layer -1: not a layer index (a whole number of at least 0)",
    },
    { kind: "report", layer: "1", env, error: "step report takes no --layer" },
    {
      kind: "git-clone",
      layer: "0",
      env: { ...env, [ENV.gitUsername]: "u" },
      error: "CFS_GIT_USERNAME and CFS_GIT_PASSWORD must be set together",
    },
    {
      kind: "git-clone",
      layer: "0",
      env: { ...env, [ENV.terminationMessageBytes]: "lots" },
      error: "CFS_TERMINATION_MESSAGE_BYTES lots: must be a whole number of bytes",
    },
  ])("rejects $kind $layer with one line", ({ kind, layer: index, env: e, error }) => {
    expect(resolveStepConfig({ kind, ...(index === undefined ? {} : { layer: index }), env: e })).toEqual({
      error,
    });
  });

  it("names the container and takes the Job's paths", () => {
    expect(resolveStepConfig({ kind: "ansible", layer: "2", env })).toEqual({
      kind: "ansible",
      layout: "per-layer",
      layer: 2,
      name: "ansible-2",
      runSpecFile: "/cfs/run/spec.json",
      componentsFile: null,
      workDir: "/cfs/work",
      resultsDir: "/cfs/work/results",
      terminationMessagePath: "/dev/termination-log",
      terminationMessageBytes: 4096,
      gitCredentials: null,
      ansibleConfigDir: null,
      ims: null,
      sshKeyDir: null,
      nodeSshKeyDir: null,
      cloneRetry: { attempts: 60, delayMs: 10_000, maxDelayMs: 10_000 },
      sourceDirs: null,
      debug: { releaseFile: "/tmp/complete", namespace: null, pod: null },
    });
  });

  it("reads the image's paths unless the environment moves them", () => {
    expect(resolveStepConfig({ kind: "report", env: {} })).toMatchObject({
      runSpecFile: "/cfs/run/spec.json",
      workDir: "/cfs/work",
      resultsDir: "/cfs/work/results",
      terminationMessagePath: "/dev/termination-log",
    });
    const moved = { [ENV.runSpecFile]: "/x/spec.json", [ENV.workDir]: "/w", [ENV.resultsDir]: "/w/r" };
    expect(resolveStepConfig({ kind: "report", env: moved })).toMatchObject({
      runSpecFile: "/x/spec.json",
      workDir: "/w",
      resultsDir: "/w/r",
    });
  });

  it("takes the cfs layout's all-layer containers without --layer, and the Job's clone retries", () => {
    const cfs = { ...env, [ENV.jobLayout]: "cfs", [ENV.gitRetryMax]: "5", [ENV.gitRetryDelay]: "0.5" };
    expect(resolveStepConfig({ kind: "git-clone", env: cfs })).toMatchObject({
      layout: "cfs",
      layer: null,
      name: "git-clone",
      cloneRetry: { attempts: 5, delayMs: 500, maxDelayMs: 500 },
    });
    expect(resolveStepConfig({ kind: "ansible", layer: "1", env: cfs })).toEqual({
      error: "step ansible takes no --layer",
    });
    expect(resolveStepConfig({ kind: "ansible", env: { ...env, [ENV.jobLayout]: "flat" } })).toEqual({
      error: "CFS_JOB_LAYOUT flat: use cfs or per-layer",
    });
  });
});
