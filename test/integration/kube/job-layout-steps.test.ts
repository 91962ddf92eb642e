/**
 * The containers of both Job layouts, run the way the CLI runs them (`cfs-gitops step ...`) with
 * real git and real ansible-playbook; directories stand in for the pod's volumes. The cfs layout's
 * one `git-clone` and one `ansible` container must report, part by part, exactly what the
 * per-layer layout's containers report, and their logs must cut back into the per-layer logs.
 * Also: the clone retries a Job gives its clone containers (CFS's GIT_RETRY_MAX / GIT_RETRY_DELAY).
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import {
  decodeStepMessage,
  ENV,
  jobSteps,
  splitStepLog,
  stepLogProgress,
  type JobLayout,
  type StepMessage,
} from "../../../src/jobs/index.js";
import {
  failingPlaybook,
  layer,
  makeLayerRepo,
  play,
  runSpec,
  tempDir,
  writeFilePlaybook,
  type LayerRepo,
} from "../../helpers/ansible-fixtures.js";
import { runContainerCommand } from "../../helpers/kube-step-cli.js";

let root: string;
let good: LayerRepo;
let bad: LayerRepo;
let envRepo: LayerRepo;

beforeAll(() => {
  root = tempDir("cfs-layout-");
  good = makeLayerRepo(root, "good", { "site.yml": writeFilePlaybook(join(root, "good-ran"), "good") });
  bad = makeLayerRepo(root, "bad", { "site.yml": failingPlaybook() });
  envRepo = makeLayerRepo(root, "env", {
    "site.yml": play(
      `    - name: write what ansible logs in with\n      ansible.builtin.copy:\n` +
        `        content: "key={{ lookup('env', 'ANSIBLE_PRIVATE_KEY_FILE') }}\\n"\n` +
        `        dest: "{{ lookup('env', 'MARK_FILE') }}"\n`,
    ),
  });
});

/** A pod's worth of directories with the RunSpec in place, and the env a Job of `layout` sets. */
async function pod(spec: RunSpec, layout: JobLayout, extra: Record<string, string> = {}) {
  const dir = tempDir("cfs-layout-pod-");
  await mkdir(join(dir, "run"));
  writeFileSync(join(dir, "run", "spec.json"), JSON.stringify(spec));
  await mkdir(join(dir, "work"));
  const env: Record<string, string> = {
    [ENV.runSpecFile]: join(dir, "run", "spec.json"),
    [ENV.workDir]: join(dir, "work"),
    [ENV.resultsDir]: join(dir, "work", "results"),
    [ENV.terminationMessageBytes]: "4096",
    [ENV.jobLayout]: layout,
    ...extra,
  };
  return { dir, env, layout };
}

interface Ran {
  name: string;
  code: number;
  log: string;
  message: StepMessage | null;
}

/** Runs every container of the spec's pod in order, as the kubelet would. */
async function runAll(target: Awaited<ReturnType<typeof pod>>, spec: RunSpec): Promise<Ran[]> {
  const results: Ran[] = [];
  for (const step of jobSteps(spec, target.layout)) {
    const termination = join(target.dir, `${step.name}.termination`);
    const layerFlag = step.layer === null ? [] : ["--layer", String(step.layer)];
    const run = await runContainerCommand({
      argv: ["step", step.kind, ...layerFlag],
      env: { ...target.env, [ENV.terminationMessagePath]: termination },
    });
    const raw = existsSync(termination) ? readFileSync(termination, "utf8") : "";
    results.push({ name: step.name, code: run.code, log: run.stdout, message: decodeStepMessage(raw) });
  }
  return results;
}

/** Each per-layer result, by step name: the per-layer containers' own, or the cfs containers' parts. */
function perStep(
  results: Ran[],
): Map<string, Pick<StepMessage, "status" | "exit_code" | "commit" | "reason">> {
  const map = new Map<string, Pick<StepMessage, "status" | "exit_code" | "commit" | "reason">>();
  for (const result of results) {
    const parts = result.message?.parts ?? [];
    for (const m of parts.length > 0 ? parts : result.message === null ? [] : [result.message]) {
      map.set(m.step, { status: m.status, exit_code: m.exit_code, commit: m.commit, reason: m.reason });
    }
  }
  return map;
}

describe("the cfs layout's containers", () => {
  it("clone every layer in git-clone, run every layer in ansible, and report each part as the per-layer containers do", async () => {
    const spec = runSpec("same", [
      layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
      layer(2, { clone_url: good.path, branch: "main", playbook: "site.yml" }),
    ]);
    const cfs = await runAll(await pod(spec, "cfs"), spec);
    const perLayer = await runAll(await pod(spec, "per-layer"), spec);
    expect(cfs.map((r) => [r.name, r.code, r.message?.status])).toEqual([
      ["git-clone", 0, "succeeded"],
      ["inventory", 0, "succeeded"],
      ["ansible", 0, "succeeded"],
    ]);
    expect(cfs[0]?.message?.parts.map((p) => [p.step, p.commit])).toEqual([
      ["git-clone-0", good.commit],
      ["git-clone-2", good.commit],
    ]);
    const ansible = cfs[2]?.message?.parts ?? [];
    expect(ansible.map((p) => [p.step, p.status, p.exit_code, p.recap?.ok])).toEqual([
      ["ansible-0", "succeeded", 0, 1],
      ["ansible-2", "succeeded", 0, 1],
    ]);
    expect(ansible[1]?.hosts?.["localhost"]).toMatchObject({ ok: 1, failed: 0 });
    const fromPerLayer = perStep(perLayer);
    fromPerLayer.delete("report");
    expect(perStep(cfs)).toEqual(fromPerLayer);
  });

  it("frame each layer in the ansible log, so it cuts back into the per-layer logs", async () => {
    const spec = runSpec("logs", [
      layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
      layer(1, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
    ]);
    const [clone, , ansible] = await runAll(await pod(spec, "cfs"), spec);
    const log = ansible?.log ?? "";
    const first = splitStepLog(log, "ansible-0") ?? "";
    const second = splitStepLog(log, "ansible-1") ?? "";
    expect(first).toMatch(/^using .*\n\$ .*ansible-playbook .*layer0\/site\.yml/);
    expect(first).toContain("PLAY RECAP");
    expect(second).toContain("layer1/site.yml");
    expect(first).not.toContain("layer1/site.yml");
    expect(splitStepLog(log, "ansible-7")).toBeNull();
    expect(splitStepLog(clone?.log ?? "", "git-clone-1")).toContain("$ git clone --quiet --no-checkout");
    expect(stepLogProgress(log)).toEqual({ running: [], ended: ansible?.message?.parts });
  });

  it("stop at a failed layer: the layers after it skip, and the last container fails the Job with the reason", async () => {
    const spec = runSpec("fails", [
      layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
      layer(1, { clone_url: bad.path, commit: bad.commit, playbook: "site.yml" }),
      layer(2, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
    ]);
    const cfs = await runAll(await pod(spec, "cfs"), spec);
    expect(cfs.map((r) => [r.name, r.code, r.message?.status])).toEqual([
      ["git-clone", 0, "succeeded"],
      ["inventory", 0, "succeeded"],
      ["ansible", 1, "failed"],
    ]);
    expect(cfs[2]?.message?.reason).toBe("layer 1 (site.yml) failed on 1 host: localhost");
    expect(cfs[2]?.message?.parts.map((p) => [p.step, p.status, p.exit_code])).toEqual([
      ["ansible-0", "succeeded", 0],
      ["ansible-1", "failed", 2],
      ["ansible-2", "skipped", null],
    ]);
    const perLayer = perStep(await runAll(await pod(spec, "per-layer"), spec));
    for (const step of ["ansible-0", "ansible-1", "ansible-2"])
      expect([step, perStep(cfs).get(step)]).toEqual([step, perLayer.get(step)]);
  });

  it("skip every layer after a failed clone, and fail with the clone's reason", async () => {
    const spec = runSpec("noclone", [
      layer(0, { clone_url: join(root, "missing.git"), commit: good.commit, playbook: "site.yml" }),
      layer(1, { clone_url: good.path, commit: good.commit, playbook: "site.yml" }),
    ]);
    const cfs = await runAll(await pod(spec, "cfs"), spec);
    expect(cfs[0]?.message?.parts.map((p) => [p.step, p.status])).toEqual([
      ["git-clone-0", "failed"],
      ["git-clone-1", "skipped"],
    ]);
    expect(cfs[2]?.code).toBe(1);
    expect(cfs[2]?.message?.reason).toMatch(/^git-clone-0: could not clone .*missing\.git: /);
    expect(cfs[2]?.message?.parts.map((p) => [p.step, p.status, p.reason])).toEqual([
      ["ansible-0", "skipped", "skipped: git-clone-0 failed"],
      ["ansible-1", "skipped", "skipped: git-clone-0 failed"],
    ]);
    expect(cfs[2]?.log).not.toContain("ansible-playbook");
  });
});

describe("the node SSH key of --node-ssh-secret", () => {
  it("is what ansible logs in with in a node session (the first key found in the mount)", async () => {
    const keys = join(root, "node-ssh");
    await mkdir(keys, { recursive: true });
    writeFileSync(join(keys, "id_ecdsa"), "a key\n", { mode: 0o400 });
    const mark = join(root, "key-used");
    const spec = runSpec("key", [
      layer(0, { clone_url: envRepo.path, commit: envRepo.commit, playbook: "site.yml" }),
    ]);
    const target = await pod(spec, "cfs", {
      [ENV.nodeSshKeyDir]: keys,
      [ENV.stepEnv]: "MARK_FILE",
      MARK_FILE: mark,
    });
    const results = await runAll(target, spec);
    expect(results.at(-1)?.message?.status).toBe("succeeded");
    expect(readFileSync(mark, "utf8")).toBe(`key=${join(keys, "id_ecdsa")}\n`);
    expect(results.map((r) => r.log).join("")).not.toContain("a key");
  });
});

describe("clone retries in a Job (GIT_RETRY_MAX, GIT_RETRY_DELAY)", () => {
  let refused: Server;
  let port = 0;
  beforeAll(async () => {
    // A port that accepts and drops every connection, as a git server that is restarting.
    refused = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => refused.listen(0, "127.0.0.1", resolve));
    const address = refused.address();
    port = typeof address === "object" && address !== null ? address.port : 0;
  });
  afterAll(() => new Promise<void>((resolve) => refused.close(() => resolve())));

  it.each(["cfs", "per-layer"] as const)(
    "tries a clone GIT_RETRY_MAX times in the %s layout and says so in the reason",
    async (layout) => {
      const url = `http://127.0.0.1:${port}/site.git`;
      const spec = runSpec(`retry-${layout}`, [
        layer(0, { clone_url: url, commit: good.commit, playbook: "site.yml" }),
      ]);
      const target = await pod(spec, layout, { [ENV.gitRetryMax]: "3", [ENV.gitRetryDelay]: "0" });
      const [clone] = await runAll(target, spec);
      const result = clone?.message?.parts[0] ?? clone?.message;
      expect(result?.status).toBe("failed");
      expect(result?.reason).toMatch(/\(gave up after 3 tries\)$/);
      expect(clone?.log).toContain(`git-clone-0: try 1 of 3 for ${url} failed; trying again in 0 s`);
      expect(clone?.log).toContain(`git-clone-0: try 2 of 3 for ${url} failed; trying again in 0 s`);
      expect(clone?.log).not.toContain("try 3 of 3");
    },
  );

  it("tries once when GIT_RETRY_MAX is 1", async () => {
    const url = `http://127.0.0.1:${port}/site.git`;
    const spec = runSpec("retry-once", [
      layer(0, { clone_url: url, commit: good.commit, playbook: "site.yml" }),
    ]);
    const target = await pod(spec, "cfs", { [ENV.gitRetryMax]: "1", [ENV.gitRetryDelay]: "0" });
    const [clone] = await runAll(target, spec);
    expect(clone?.message?.parts[0]?.reason).not.toContain("gave up");
    expect(clone?.log).not.toContain("trying again");
  });
});
