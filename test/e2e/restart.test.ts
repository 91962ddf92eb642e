import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import {
  ConfigRepo,
  configurationYaml,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { waitFor } from "./harness.js";

const CLI = resolve("dist/src/cli/main.js");

let dir: { path: string; cleanup: () => void };
let children: ChildProcess[] = [];

beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-restart-");
  children = [];
});

afterEach(async () => {
  for (const child of children) child.kill("SIGKILL");
  // Let the playbooks still waiting for their gate end, so nothing outlives the test.
  writeFileSync(join(dir.path, "gate"), "");
  await new Promise((done) => setTimeout(done, 500));
  dir.cleanup();
});

function controller(repo: string, extra: string[] = []): ChildProcess {
  const child = spawn(
    process.execPath,
    [
      CLI,
      "controller",
      "--repo",
      repo,
      "--data-dir",
      join(dir.path, "data"),
      "--log-level",
      "error",
      ...extra,
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  children.push(child);
  return child;
}

async function stopController(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  const exited = new Promise<number | null>((done) => child.once("exit", (code) => done(code)));
  child.kill(signal);
  return exited;
}

/** A playbook that appends `line` to `marks`, waits for the gate file, then succeeds or fails. */
function gatedPlaybook(input: { marks: string; line: string; gate: string; fail?: boolean }): string {
  const tasks = [
    `    - ansible.builtin.shell: echo ${input.line} >> ${input.marks}`,
    `    - ansible.builtin.shell: while [ ! -e ${input.gate} ]; do sleep 0.1; done`,
    ...(input.fail === true ? [`    - ansible.builtin.fail:\n        msg: failing on purpose`] : []),
  ];
  return `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.join("\n")}\n`;
}

/** The lines of a marks file (one per playbook run). */
function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, "utf8").trim().split("\n") : [];
}

/** The session record of `name` on cfs-status, or null. */
function record(repo: ConfigRepo, name: string): SessionRecord | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  return text ? (JSON.parse(text) as SessionRecord) : null;
}

/** Whether every run's last launched process is its `ansible-0` and has recorded its exit. */
function ansibleExited(count: number): boolean {
  const runs = join(dir.path, "data", "runner", "runs");
  const ended = readdirSync(runs).filter((job) => {
    const path = join(runs, job, "launch.json");
    if (!existsSync(path)) return false;
    const launch = JSON.parse(readFileSync(path, "utf8")) as { step: string; exit: string };
    return launch.step === "ansible-0" && existsSync(launch.exit);
  });
  return ended.length === count;
}

describe("a controller stopped mid-session and started again", () => {
  it("adopts a run after kill -9: the playbook's real outcome is recorded and the next layer runs, nothing twice", async () => {
    const marks = join(dir.path, "marks.txt");
    const gate = join(dir.path, "gate");
    const first = makeLayerRepo(dir.path, "first", {
      "site.yml": gatedPlaybook({ marks, line: "first", gate }),
    });
    const second = makeLayerRepo(dir.path, "second", {
      "site.yml": playbook({ file: marks, line: "second" }),
    });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/two.yaml": configurationYaml("two", [
        { name: "first", url: first },
        { name: "second", url: second },
      ]),
      "sessions/cut.yaml": sessionYaml("cut", "two"),
    });

    const before = controller(repo.path);
    await waitFor(
      () => lines(marks).length === 1 && record(repo, "cut")?.status.session.status === "running",
      {
        what: "the session to be running",
      },
    );
    await stopController(before, "SIGKILL");

    controller(repo.path);
    await new Promise((done) => setTimeout(done, 1_000));
    expect(record(repo, "cut")?.status.session.status).toBe("running");
    writeFileSync(gate, "");
    await waitFor(() => record(repo, "cut")?.status.session.status === "complete", {
      what: "the session to complete",
    });
    expect(record(repo, "cut")?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    expect(lines(marks)).toEqual(["first", "second"]);
  });

  it("records the real outcome (true and false) of runs that ended while it was down", async () => {
    const gate = join(dir.path, "gate");
    const marks = join(dir.path, "marks.txt");
    const good = makeLayerRepo(dir.path, "good", {
      "site.yml": gatedPlaybook({ marks, line: "good", gate }),
    });
    const bad = makeLayerRepo(dir.path, "bad", {
      "site.yml": gatedPlaybook({ marks, line: "bad", gate, fail: true }),
    });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/good.yaml": configurationYaml("good", [{ name: "good", url: good }]),
      "configurations/bad.yaml": configurationYaml("bad", [{ name: "bad", url: bad }]),
      "sessions/good.yaml": sessionYaml("good", "good"),
      "sessions/bad.yaml": sessionYaml("bad", "bad"),
    });

    const before = controller(repo.path);
    await waitFor(() => lines(marks).length === 2, { what: "both playbooks to start" });
    await stopController(before, "SIGKILL");
    writeFileSync(gate, "");
    await waitFor(() => ansibleExited(2), { what: "both playbooks to end while no controller runs" });

    const code = await new Promise<number | null>((done) =>
      controller(repo.path, ["--once"]).once("exit", done),
    );
    expect(code).toBe(0);
    expect(record(repo, "good")?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    expect(record(repo, "bad")?.status.session).toMatchObject({ status: "complete", succeeded: "false" });
    expect(record(repo, "bad")?.status.reason).toMatch(/failed on 1 host: localhost/);
    expect(lines(marks).sort()).toEqual(["bad", "good"]);
  });

  it("after SIGTERM with runs in flight, the next start adopts every run and records every outcome", async () => {
    const gate = join(dir.path, "gate");
    const marks = join(dir.path, "marks.txt");
    const names = ["a", "b", "c"];
    const files: Record<string, string> = {};
    for (const name of names) {
      const layer = makeLayerRepo(dir.path, name, {
        "site.yml": gatedPlaybook({ marks, line: name, gate, fail: name === "c" }),
      });
      files[`configurations/${name}.yaml`] = configurationYaml(name, [{ name, url: layer }]);
      files[`sessions/${name}.yaml`] = sessionYaml(name, name);
    }
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit(files);

    const before = controller(repo.path);
    await waitFor(() => lines(marks).length === 3, { what: "the three playbooks to start" });
    expect(await stopController(before, "SIGTERM")).toBe(0);

    controller(repo.path);
    await new Promise((done) => setTimeout(done, 1_000));
    writeFileSync(gate, "");
    await waitFor(() => names.every((name) => record(repo, name)?.status.session.status === "complete"), {
      what: "every session to complete",
    });
    expect(names.map((name) => record(repo, name)?.status.session.succeeded)).toEqual([
      "true",
      "true",
      "false",
    ]);
    expect(lines(marks).sort()).toEqual(names);
  });

  it("survives kill -9 at several moments of a run (clones, inventory, playbooks): one real outcome, each layer once, no step backwards", async () => {
    const marks = join(dir.path, "marks.txt");
    const layers = ["l0", "l1", "l2"].map((name) => ({
      name,
      url: makeLayerRepo(dir.path, name, { "site.yml": playbook({ file: marks, line: name, sleep: 1 }) }),
    }));
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/three.yaml": configurationYaml("three", layers),
      "sessions/killed.yaml": sessionYaml("killed", "three"),
    });
    const hit: string[] = [];
    for (const step of ["git-clone-1", "inventory", "ansible-0", "ansible-1", "ansible-2"]) {
      const child = controller(repo.path);
      hit.push(await waitForStep(step));
      await stopController(child, "SIGKILL");
    }
    // The playbook steps take seconds: those moments are always caught.
    expect(hit.filter((seen) => seen.startsWith("ansible-"))).toEqual([
      "ansible-0",
      "ansible-1",
      "ansible-2",
    ]);
    controller(repo.path);
    await waitFor(() => record(repo, "killed")?.status.session.status === "complete", {
      what: "the session to complete",
    });
    expect(record(repo, "killed")?.status.session.succeeded).toBe("true");
    expect(lines(marks)).toEqual(["l0", "l1", "l2"]);
    expect(isForwardOnly(statusHistory(repo, "killed"))).toBe(true);
  });
});

/** Wait until the run's state.json shows `step` running, or the run already past it; returns what was seen. */
async function waitForStep(step: string): Promise<string> {
  const runs = join(dir.path, "data", "runner", "runs");
  for (;;) {
    // Directories being created (`.creating-*`) have no state.json yet.
    for (const job of existsSync(runs) ? readdirSync(runs).filter((name) => !name.startsWith(".")) : []) {
      const text = readFileSync(join(runs, job, "state.json"), "utf8");
      const state = JSON.parse(text) as { phase: string; steps: Array<{ name: string; status: string }> };
      const seen = state.steps.find((s) => s.name === step)?.status;
      if (seen === "running") return step;
      if (seen !== "pending" || state.phase === "complete") return `past ${step}`;
    }
    await new Promise((done) => setTimeout(done, 10));
  }
}

/** Every recorded `status.session.status` of a session, oldest first, from `git log` of cfs-status. */
function statusHistory(repo: ConfigRepo, name: string): string[] {
  const log = execFileSync(
    "git",
    ["-C", repo.path, "log", "--format=%H", "cfs-status", "--", `sessions/${name}.json`],
    {
      encoding: "utf8",
    },
  );
  return log
    .trim()
    .split("\n")
    .reverse()
    .map((commit) => {
      const text = execFileSync("git", ["-C", repo.path, "show", `${commit}:sessions/${name}.json`], {
        encoding: "utf8",
      });
      return (JSON.parse(text) as SessionRecord).status.session.status;
    });
}

/** Whether statuses only move forward (pending -> running -> complete). */
function isForwardOnly(history: string[]): boolean {
  const order = ["pending", "running", "complete"];
  return history.every(
    (status, i) => i === 0 || order.indexOf(status) >= order.indexOf(history[i - 1] ?? ""),
  );
}
