import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino, type Logger } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { createLocalRunner, type LocalRunnerOptions } from "../../../src/runners/local/index.js";
import { IMAGE_SERVICE_MISSING, RESTARTED } from "../../../src/runners/steps/index.js";
import type { Runner } from "../../../src/runners/types.js";
import {
  failingPlaybook,
  gatedPlaybook,
  isComplete,
  isStepRunning,
  layer,
  makeLayerRepo,
  pushCommit,
  runSpec,
  sleepingPlaybook,
  tempDir,
  waitForRun,
  writeFilePlaybook,
} from "../../helpers/ansible-fixtures.js";

const NOW = new Date("2025-03-04T05:06:07.890Z");
const STAMP = "2025-03-04T05:06:07Z";

/** A logger that keeps its lines, so a test can read what was logged. */
function memoryLog(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: "info" }, { write: (line: string) => void lines.push(line) }), lines };
}

const runners: Runner[] = [];

async function newRunner(dataDir: string, extra: Partial<LocalRunnerOptions> = {}): Promise<Runner> {
  const runner = await createLocalRunner({
    dataDir,
    log: memoryLog().log,
    maxConcurrent: 4,
    now: () => NOW,
    killGraceMs: 2_000,
    ...extra,
  });
  runners.push(runner);
  return runner;
}

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
});

/** The process group of the step running now, from the run's pid file. */
function pidOf(dataDir: string, spec: RunSpec): number {
  const pid = JSON.parse(readFileSync(join(dataDir, "runs", spec.job, "pid"), "utf8")) as { pid: number };
  return pid.pid;
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("local runner", () => {
  it("runs two layers in order, resolving a branch, and records each layer's PLAY RECAP", async () => {
    const root = tempDir();
    const out0 = join(root, "out0.txt");
    const out1 = join(root, "out1.txt");
    const first = makeLayerRepo(root, "first", { "site.yml": writeFilePlaybook(out0, "layer zero") });
    const second = makeLayerRepo(root, "second", { "play.yml": writeFilePlaybook(out1, "old") });
    const tip = pushCommit(root, "second", { "play.yml": writeFilePlaybook(out1, "layer one") });
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const spec = runSpec("two-layers", [
      layer(0, { clone_url: first.path, commit: first.commit, playbook: "site.yml" }),
      layer(1, { name: "second", clone_url: second.url, branch: "main", playbook: "play.yml" }),
    ]);
    let changes = 0;
    runner.onChange(() => (changes += 1));

    await runner.start(spec);
    const obs = await waitForRun(runner, "two-layers", isComplete);

    expect(obs).toMatchObject({
      phase: "complete",
      succeeded: "true",
      reason: null,
      startTime: STAMP,
      completionTime: STAMP,
    });
    expect(obs.steps.map((s) => [s.name, s.status, s.exit_code])).toEqual([
      ["git-clone-0", "succeeded", 0],
      ["git-clone-1", "succeeded", 0],
      ["inventory", "succeeded", null],
      ["ansible-0", "succeeded", 0],
      ["ansible-1", "succeeded", 0],
    ]);
    expect(obs.steps.every((s) => s.start_time === STAMP && s.completion_time === STAMP)).toBe(true);
    const counts = { ok: 1, changed: 1, unreachable: 0, failed: 0, skipped: 0, rescued: 0, ignored: 0 };
    expect(obs.layers).toEqual([
      expect.objectContaining({
        index: 0,
        commit: first.commit,
        branch: null,
        status: "succeeded",
        exit_code: 0,
        recap: { localhost: counts },
      }),
      expect.objectContaining({
        index: 1,
        name: "second",
        commit: tip,
        branch: "main",
        status: "succeeded",
        recap: { localhost: counts },
      }),
    ]);
    expect(readFileSync(out0, "utf8")).toBe("layer zero\n");
    expect(readFileSync(out1, "utf8")).toBe("layer one\n");
    expect(changes).toBeGreaterThan(5);

    const runDir = join(dataDir, "runs", spec.job);
    expect(readdirSync(join(runDir, "logs")).sort()).toEqual([
      "ansible-0.log",
      "ansible-1.log",
      "git-clone-0.log",
      "git-clone-1.log",
      "inventory.log",
    ]);
    expect(existsSync(join(runDir, "pid"))).toBe(false);
    expect(readFileSync(join(runDir, "work", "hosts", "01-cfs-generated.yaml"), "utf8")).toContain(
      "ansible_connection: local",
    );
    expect(await runner.readLog(spec.job, "ansible-1")).toMatch(
      /PLAY RECAP[\s\S]*localhost\s+: ok=1\s+changed=1/,
    );
    expect(await runner.readLog(spec.job, "git-clone-1")).toContain(`branch main is at ${tip}`);
    expect(await runner.readLog(spec.job, "nope")).toBeNull();
    expect(await runner.readLog("../etc", "passwd")).toBeNull();

    await runner.start(spec); // idempotent: the run exists
    expect((await runner.observe()).get("two-layers")).toEqual(obs);
  });

  it("stops at a failing layer: its failed hosts are recorded and the later layers are skipped", async () => {
    const root = tempDir();
    const failing = makeLayerRepo(root, "failing", { "fail.yml": failingPlaybook() });
    const later = makeLayerRepo(root, "later", {
      "site.yml": writeFilePlaybook(join(root, "never.txt"), "no"),
    });
    const runner = await newRunner(join(root, "data"));
    await runner.start(
      runSpec("failing", [
        layer(0, { clone_url: failing.path, commit: failing.commit, playbook: "fail.yml" }),
        layer(1, { clone_url: later.path, commit: later.commit, playbook: "site.yml" }),
      ]),
    );
    const obs = await waitForRun(runner, "failing", isComplete);

    expect(obs).toMatchObject({
      succeeded: "false",
      reason: "layer 0 (fail.yml) failed on 1 host: localhost",
    });
    expect(obs.layers[0]).toMatchObject({
      status: "failed",
      exit_code: 2,
      failed_hosts: ["localhost"],
      unreachable_hosts: [],
      recap: {
        localhost: { ok: 0, changed: 0, unreachable: 0, failed: 1, skipped: 0, rescued: 0, ignored: 0 },
      },
    });
    expect(obs.layers[1]).toMatchObject({ status: "skipped", exit_code: null, recap: {} });
    expect(obs.steps.map((s) => [s.name, s.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["git-clone-1", "succeeded"],
      ["inventory", "succeeded"],
      ["ansible-0", "failed"],
      ["ansible-1", "skipped"],
    ]);
    expect(existsSync(join(root, "never.txt"))).toBe(false);
  });

  it("fails at git-clone-0 with a clean reason when a repository cannot be cloned", async () => {
    const root = tempDir();
    const fine = makeLayerRepo(root, "fine", { "site.yml": writeFilePlaybook(join(root, "x.txt"), "x") });
    const runner = await newRunner(join(root, "data"));
    const missing = join(root, "missing.git");
    await runner.start(
      runSpec("unclonable", [
        layer(0, { clone_url: missing, commit: fine.commit, playbook: "site.yml" }),
        layer(1, { clone_url: fine.path, commit: fine.commit, playbook: "site.yml" }),
      ]),
    );
    const obs = await waitForRun(runner, "unclonable", isComplete);
    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toBe(
      `git-clone-0: could not clone ${missing}: repository '${missing}' does not exist`,
    );
    expect(obs.steps.map((s) => s.status)).toEqual(["failed", "skipped", "skipped", "skipped", "skipped"]);
    expect(obs.layers.map((l) => l.status)).toEqual(["failed", "skipped"]);
  });

  it("fails at git-clone-0 when the layer's branch does not exist (a longer ref that ends the same does not count)", async () => {
    const root = tempDir();
    const repo = makeLayerRepo(root, "branches", { "site.yml": writeFilePlaybook(join(root, "b.txt"), "b") });
    execFileSync("git", ["-C", repo.path, "branch", "feature/main", repo.commit]);
    const runner = await newRunner(join(root, "data"));
    await runner.start(
      runSpec("no-branch", [layer(0, { clone_url: repo.url, branch: "main2", playbook: "site.yml" })]),
    );
    const obs = await waitForRun(runner, "no-branch", isComplete);
    expect(obs.reason).toBe(`git-clone-0: branch main2 was not found in ${repo.url}`);
    expect(obs.layers[0]).toMatchObject({ status: "failed", commit: null, branch: "main2" });

    execFileSync("git", ["-C", repo.path, "branch", "-D", "main"]);
    await runner.start(
      runSpec("suffix-only", [layer(0, { clone_url: repo.url, branch: "main", playbook: "site.yml" })]),
    );
    expect((await waitForRun(runner, "suffix-only", isComplete)).reason).toBe(
      `git-clone-0: branch main was not found in ${repo.url}`,
    );
  });

  it("keeps credentials in a clone URL out of the reason and the logs", async () => {
    const root = tempDir();
    const runner = await newRunner(join(root, "data"));
    const url = "https://cfs-user:s3cret-token@127.0.0.1:9/site/layer.git";
    const spec = runSpec("secret-url", [layer(0, { clone_url: url, branch: "main", playbook: "site.yml" })]);
    await runner.start(spec);
    const obs = await waitForRun(runner, "secret-url", isComplete);
    expect(obs.reason).toMatch(
      /^git-clone-0: could not resolve the branch of https:\/\/\*\*\*@127\.0\.0\.1:9\/site\/layer\.git: /,
    );
    expect(obs.reason).not.toContain("s3cret");
    expect(await runner.readLog(spec.job, "git-clone-0")).not.toContain("s3cret");
  });

  it("runs a spec target with additional inventory, limit, verbosity and passthrough", async () => {
    const root = tempDir();
    const out = join(root, "spec.txt");
    const site = makeLayerRepo(root, "site", {
      "site.yml": play(
        `    - ansible.builtin.copy:\n        content: "{{ greeting }} {{ from_hosts_repo }}\\n"\n        dest: "${out}"\n`,
      ),
    });
    const hosts = makeLayerRepo(root, "hosts", { "group_vars/web.yml": "from_hosts_repo: group-vars\n" });
    const runner = await newRunner(join(root, "data"));
    const base = runSpec(
      "spec-target",
      [layer(0, { clone_url: site.path, commit: site.commit, playbook: "site.yml" })],
      {
        additionalInventory: { clone_url: hosts.url, branch: "main" },
      },
    );
    const spec: RunSpec = {
      ...base,
      session: {
        ...base.session,
        target: { definition: "spec", groups: [{ name: "web", members: ["localhost", "nid000001"] }] },
        ansible: {
          limit: "localhost",
          verbosity: 1,
          passthrough: `-e '{"greeting": "hello there"}' --tags all`,
        },
      },
    };
    await runner.start(spec);
    const obs = await waitForRun(runner, "spec-target", isComplete);
    expect(obs.reason).toBeNull();
    expect(obs.steps.map((s) => s.name)).toEqual([
      "git-clone-0",
      "git-clone-hosts",
      "inventory",
      "ansible-0",
    ]);
    expect(Object.keys(obs.layers[0]?.recap ?? {})).toEqual(["localhost"]);
    expect(readFileSync(out, "utf8")).toBe("hello there group-vars\n");
    const log = (await runner.readLog(spec.job, "ansible-0")) ?? "";
    expect(log.split("\n")[0]).toMatch(
      /ansible-playbook -i hosts\/ --limit localhost -v -e {"greeting": "hello there"} --tags all layer0\/site.yml$/,
    );
    expect(log).toMatch(/Using \S+\/work\/ansible\.cfg as config file/);
  });

  it("fails an image session at inventory: the image service is not configured", async () => {
    const root = tempDir();
    const site = makeLayerRepo(root, "site", { "site.yml": writeFilePlaybook(join(root, "img.txt"), "x") });
    const runner = await newRunner(join(root, "data"));
    const base = runSpec("image", [
      layer(0, { clone_url: site.path, commit: site.commit, playbook: "site.yml" }),
    ]);
    const spec = {
      ...base,
      session: {
        ...base.session,
        target: { definition: "image" as const, groups: [{ name: "a", members: ["img-1"] }] },
      },
    };
    await runner.start(spec);
    const obs = await waitForRun(runner, "image", isComplete);
    expect(obs.reason).toBe(`inventory: ${IMAGE_SERVICE_MISSING}`);
    expect(obs.steps.map((s) => [s.name, s.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["inventory", "failed"],
      ["ansible-0", "skipped"],
      ["teardown", "skipped"],
    ]);
  });

  it("remove() stops the step's whole process group and deletes the run", async () => {
    const root = tempDir();
    const marker = join(root, "started");
    const slow = makeLayerRepo(root, "slow", { "site.yml": sleepingPlaybook(marker) });
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const spec = runSpec("cancel-me", [
      layer(0, { clone_url: slow.path, commit: slow.commit, playbook: "site.yml" }),
    ]);
    await runner.start(spec);
    await waitForRun(runner, "cancel-me", isStepRunning("ansible-0"));
    await until(() => existsSync(marker), "the playbook to start");
    const pgid = pidOf(dataDir, spec);
    expect(groupAlive(pgid)).toBe(true);

    const started = Date.now();
    await runner.remove("cancel-me", spec.job);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(groupAlive(pgid)).toBe(false);
    expect(existsSync(join(dataDir, "runs", spec.job))).toBe(false);
    expect((await runner.observe()).has("cancel-me")).toBe(false);
    await runner.remove("cancel-me", spec.job); // unknown now: a no-op
    await runner.remove("never-was", "cfs-never-was-00000000");
  });

  it("runs at most maxConcurrent sessions; the others wait pending", async () => {
    const root = tempDir();
    const marker = join(root, "started");
    const out = join(root, "second.txt");
    const slow = makeLayerRepo(root, "slow", { "site.yml": sleepingPlaybook(marker) });
    const quick = makeLayerRepo(root, "quick", { "site.yml": writeFilePlaybook(out, "second") });
    const runner = await newRunner(join(root, "data"), { maxConcurrent: 1 });
    const first = runSpec("first", [
      layer(0, { clone_url: slow.path, commit: slow.commit, playbook: "site.yml" }),
    ]);
    const second = runSpec("second", [
      layer(0, { clone_url: quick.path, commit: quick.commit, playbook: "site.yml" }),
    ]);
    await runner.start(first);
    await runner.start(second);
    await waitForRun(runner, "first", isStepRunning("ansible-0"));
    const waiting = (await runner.observe()).get("second");
    expect(waiting).toMatchObject({ phase: "pending", succeeded: "none", startTime: null });
    expect(waiting?.steps.every((s) => s.status === "pending")).toBe(true);

    await runner.remove("first", first.job);
    const obs = await waitForRun(runner, "second", isComplete);
    expect(obs.succeeded).toBe("true");
    expect(readFileSync(out, "utf8")).toBe("second\n");
  });

  it("after a crash that killed the playbook before its exit was recorded, ends the run unknown and never runs it again", async () => {
    const root = tempDir();
    const marker = join(root, "started");
    const slow = makeLayerRepo(root, "slow", { "site.yml": sleepingPlaybook(marker) });
    const dataDir = join(root, "data");
    const first = await newRunner(dataDir);
    const spec = runSpec("crashed", [
      layer(0, { clone_url: slow.path, commit: slow.commit, playbook: "site.yml" }),
    ]);
    await first.start(spec);
    await waitForRun(first, "crashed", isStepRunning("ansible-0"));
    await until(() => existsSync(marker), "the playbook to start");
    const pgid = pidOf(dataDir, spec);
    // The crash: the runner is dropped without cleanup and its processes die with it.
    await first.close();
    process.kill(-pgid, "SIGKILL");
    await until(() => !groupAlive(pgid), "the processes to die");

    const second = await newRunner(dataDir);
    const obs = await waitForRun(second, "crashed", isComplete);
    expect(obs).toMatchObject({
      phase: "complete",
      succeeded: "unknown",
      reason: RESTARTED,
      completionTime: STAMP,
    });
    expect(obs?.steps.map((s) => [s.name, s.status])).toEqual([
      ["git-clone-0", "succeeded"],
      ["inventory", "succeeded"],
      ["ansible-0", "cancelled"],
    ]);
    expect(obs?.layers[0]?.status).toBe("cancelled");

    await second.start(spec);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(readFileSync(marker, "utf8")).toBe("started\n");
    expect((await second.observe()).get("crashed")).toEqual(obs);
  });

  it("after a crash, a run still queued (no step begun) is forgotten so it can start again", async () => {
    const root = tempDir();
    const marker = join(root, "started");
    const out = join(root, "queued.txt");
    const slow = makeLayerRepo(root, "slow", { "site.yml": sleepingPlaybook(marker) });
    const quick = makeLayerRepo(root, "quick", { "site.yml": writeFilePlaybook(out, "queued") });
    const dataDir = join(root, "data");
    const first = await newRunner(dataDir, { maxConcurrent: 1 });
    const running = runSpec("running", [
      layer(0, { clone_url: slow.path, commit: slow.commit, playbook: "site.yml" }),
    ]);
    const queued = runSpec("queued", [
      layer(0, { clone_url: quick.path, commit: quick.commit, playbook: "site.yml" }),
    ]);
    await first.start(running);
    await first.start(queued);
    await waitForRun(first, "running", isStepRunning("ansible-0"));
    await until(() => existsSync(marker), "the playbook to start");
    const pgid = pidOf(dataDir, running);
    await first.close();
    process.kill(-pgid, "SIGKILL");
    await until(() => !groupAlive(pgid), "the processes to die");

    const second = await newRunner(dataDir, { maxConcurrent: 1 });
    expect((await second.observe()).has("queued")).toBe(false);
    expect((await waitForRun(second, "running", isComplete)).succeeded).toBe("unknown");
    await second.start(queued);
    expect((await waitForRun(second, "queued", isComplete)).succeeded).toBe("true");
    expect(readFileSync(out, "utf8")).toBe("queued\n");
  });

  it("after a restart, adopts a playbook still going: watches it to its end, then runs the next layer, each once", async () => {
    const root = tempDir();
    const marker = join(root, "started");
    const gate = join(root, "gate");
    const out = join(root, "out1.txt");
    const gated = makeLayerRepo(root, "gated", { "site.yml": gatedPlaybook(marker, gate) });
    const next = makeLayerRepo(root, "next", { "site.yml": writeFilePlaybook(out, "layer one") });
    const dataDir = join(root, "data");
    const first = await newRunner(dataDir);
    const spec = runSpec("adopted", [
      layer(0, { clone_url: gated.path, commit: gated.commit, playbook: "site.yml" }),
      layer(1, { clone_url: next.path, commit: next.commit, playbook: "site.yml" }),
    ]);
    await first.start(spec);
    await waitForRun(first, "adopted", isStepRunning("ansible-0"));
    await until(() => existsSync(marker), "the playbook to start");
    const pgid = pidOf(dataDir, spec);
    // The controller goes away (SIGTERM or kill -9): its runner is gone, the playbook keeps going.
    await first.close();

    const second = await newRunner(dataDir);
    expect(groupAlive(pgid)).toBe(true);
    expect((await second.observe()).get("adopted")?.phase).toBe("running");
    writeFileSync(gate, "");
    const obs = await waitForRun(second, "adopted", isComplete);
    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(obs.steps.map((step) => [step.name, step.status, step.exit_code])).toEqual([
      ["git-clone-0", "succeeded", 0],
      ["git-clone-1", "succeeded", 0],
      ["inventory", "succeeded", null],
      ["ansible-0", "succeeded", 0],
      ["ansible-1", "succeeded", 0],
    ]);
    expect(obs.layers[0]?.recap["localhost"]).toMatchObject({ ok: 2, failed: 0 });
    expect(readFileSync(marker, "utf8")).toBe("started\n");
    expect(readFileSync(out, "utf8")).toBe("layer one\n");
  });

  it("after a restart, records the real outcome of playbooks that ended while no controller watched", async () => {
    const root = tempDir();
    const gate = join(root, "gate");
    const goodMarker = join(root, "good-started");
    const badMarker = join(root, "bad-started");
    const good = makeLayerRepo(root, "good", { "site.yml": gatedPlaybook(goodMarker, gate) });
    const bad = makeLayerRepo(root, "bad", { "site.yml": gatedPlaybook(badMarker, gate, true) });
    const dataDir = join(root, "data");
    const first = await newRunner(dataDir);
    const specs = [
      runSpec("good", [layer(0, { clone_url: good.path, commit: good.commit, playbook: "site.yml" })]),
      runSpec("bad", [layer(0, { clone_url: bad.path, commit: bad.commit, playbook: "site.yml" })]),
    ];
    for (const spec of specs) await first.start(spec);
    for (const spec of specs) await waitForRun(first, spec.name, isStepRunning("ansible-0"));
    await until(() => existsSync(goodMarker) && existsSync(badMarker), "the playbooks to start");
    const groups = specs.map((spec) => pidOf(dataDir, spec));
    await first.close();
    writeFileSync(gate, "");
    await until(() => groups.every((pgid) => !groupAlive(pgid)), "the playbooks to end");

    const second = await newRunner(dataDir);
    const goodObs = await waitForRun(second, "good", isComplete);
    const badObs = await waitForRun(second, "bad", isComplete);
    expect(goodObs).toMatchObject({ succeeded: "true", reason: null });
    expect(goodObs.layers[0]).toMatchObject({ status: "succeeded", exit_code: 0 });
    expect(badObs).toMatchObject({ succeeded: "false" });
    expect(badObs.reason).toMatch(/failed on 1 host: localhost/);
    expect(badObs.layers[0]).toMatchObject({ status: "failed", exit_code: 2, failed_hosts: ["localhost"] });
    expect(readFileSync(goodMarker, "utf8")).toBe("started\n");
    expect(readFileSync(badMarker, "utf8")).toBe("started\n");
  });

  it("without ansible-playbook, logs one line saying how to install it and fails sessions at ansible-0", async () => {
    const root = tempDir();
    const site = makeLayerRepo(root, "site", { "site.yml": writeFilePlaybook(join(root, "no.txt"), "x") });
    const emptyBin = tempDir("cfs-empty-bin-");
    const { log, lines } = memoryLog();
    const git = execFileSync("sh", ["-c", "command -v git"], { encoding: "utf8" }).trim();
    const runner = await newRunner(join(root, "data"), { log, env: { PATH: emptyBin }, gitPath: git });
    const specs = ["no-ansible-1", "no-ansible-2"].map((name) =>
      runSpec(name, [layer(0, { clone_url: site.path, commit: site.commit, playbook: "site.yml" })]),
    );
    for (const spec of specs) await runner.start(spec);
    for (const spec of specs) {
      const obs = await waitForRun(runner, spec.name, isComplete);
      expect(obs.succeeded).toBe("false");
      expect(obs.reason).toBe(
        "ansible-0: ansible-playbook was not found on PATH; install it with `apt-get install ansible-core` or `pipx install ansible-core`",
      );
      expect(obs.steps.map((s) => [s.name, s.status])).toEqual([
        ["git-clone-0", "succeeded"],
        ["inventory", "succeeded"],
        ["ansible-0", "failed"],
      ]);
    }
    const warnings = lines.filter((line) => line.includes("ansible-playbook was not found"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("apt-get install ansible-core");
    expect(lines.join("\n")).not.toContain(emptyBin);
  });
});

function play(tasks: string): string {
  return `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`;
}
