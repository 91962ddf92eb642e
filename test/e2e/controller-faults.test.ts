import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import type { Runner } from "../../src/runners/types.js";
import {
  ConfigRepo,
  configurationYaml,
  git,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { startController, waitFor, type Harness } from "./harness.js";

/** The controller with the local runner and real ansible-playbook, facing faults of its own world. */
let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let harness: Harness | null = null;
let marks: string;

beforeEach(() => {
  dir = tempDir("cfs-faults-");
  marks = join(dir.path, "marks.txt");
  repo = new ConfigRepo(join(dir.path, "config"));
});

afterEach(async () => {
  await harness?.close();
  harness = null;
  dir.cleanup();
});

function record(name: string): SessionRecord | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  if (text === null) return null;
  try {
    return JSON.parse(text) as SessionRecord;
  } catch {
    return null;
  }
}

const marksOf = (): string[] => (existsSync(marks) ? readFileSync(marks, "utf8").trim().split("\n") : []);

/** Every version of a status file committed on cfs-status, oldest first. */
function versions(path: string): string[] {
  const commits = git(repo.path, ["log", "--reverse", "--format=%H", "cfs-status", "--", path]).split("\n");
  return commits
    .filter((c) => c !== "")
    .flatMap((c) => {
      try {
        return [git(repo.path, ["show", `${c}:${path}`])];
      } catch {
        return [];
      }
    });
}

/** Replaces one file on cfs-status, as a person editing the branch by hand would. */
function handEdit(path: string, text: string): void {
  const env = { ...process.env, GIT_INDEX_FILE: join(dir.path, "hand-index") };
  const run = (args: string[], input?: string): string =>
    execFileSync("git", args, { cwd: repo.path, env, encoding: "utf8", input }).trim();
  for (;;) {
    const tip = run(["rev-parse", "refs/heads/cfs-status"]);
    run(["read-tree", tip]);
    const blob = run(["hash-object", "-w", "--stdin"], text);
    run(["update-index", "--add", "--cacheinfo", `100644,${blob},${path}`]);
    const tree = run(["write-tree"]);
    const commit = run(["commit-tree", tree, "-p", tip, "-m", "hand edit"]);
    try {
      run(["update-ref", "refs/heads/cfs-status", commit, tip]);
      return;
    } catch {
      // The controller committed meanwhile: edit its new tip.
    }
  }
}

/** A connection reset, as Node reports it. */
function connectionReset(): Error {
  return Object.assign(new Error("connect ECONNRESET"), { code: "ECONNRESET" });
}

/**
 * Wraps the real runner: before each start or remove, `fault` may return an error to throw
 * instead (the fault of a network between the controller and its runner); null lets it through.
 */
function faulty(fault: {
  start?: () => Error | null;
  remove?: () => Error | null;
}): (runner: Runner) => Runner {
  return (runner) => ({
    start: (spec) => {
      const error = fault.start?.() ?? null;
      return error ? Promise.reject(error) : runner.start(spec);
    },
    remove: (name, job) => {
      const error = fault.remove?.() ?? null;
      return error ? Promise.reject(error) : runner.remove(name, job);
    },
    observe: () => runner.observe(),
    onChange: (callback) => runner.onChange(callback),
    readLog: (job, step) => runner.readLog(job, step),
    isReady: () => runner.isReady(),
    close: () => runner.close(),
  });
}

describe("controller faults", () => {
  it("never starts a pending session deleted in the same commit as the running one (--max-concurrent 1)", async () => {
    const slow = makeLayerRepo(dir.path, "slow", {
      "site.yml": playbook({ file: marks, line: "a", sleep: 60 }),
    });
    const quick = makeLayerRepo(dir.path, "quick", { "site.yml": playbook({ file: marks, line: "b" }) });
    repo.commit({
      "configurations/slow.yaml": configurationYaml("slow", [{ name: "slow", url: slow }]),
      "configurations/quick.yaml": configurationYaml("quick", [{ name: "quick", url: quick }]),
      "sessions/a-running.yaml": sessionYaml("a-running", "slow"),
      "sessions/b-pending.yaml": sessionYaml("b-pending", "quick"),
    });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    harness = await startController({
      repo: repo.path,
      dataDir: join(dir.path, "data"),
      watch: true,
      maxConcurrent: 1,
      log,
    });
    await waitFor(() => marksOf().includes("a") && record("b-pending")?.status.session.status === "pending", {
      what: "a-running to run while b-pending waits",
    });

    repo.commit({ "sessions/a-running.yaml": null, "sessions/b-pending.yaml": null });
    await waitFor(() => record("a-running") === null && record("b-pending") === null, {
      what: "both sessions to be deleted",
    });

    const started = lines
      .map((line) => JSON.parse(line) as { msg?: string; session?: string })
      .filter((entry) => entry.msg === "session starting")
      .map((entry) => entry.session);
    expect(started).toEqual(["a-running"]);
    expect(marksOf()).toEqual(["a"]);
  });

  it("keeps a session pending while the runner's start fails transiently, then runs it, never recording it failed", async () => {
    const ok = makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "ok" }) });
    repo.commit({
      "configurations/c.yaml": configurationYaml("c", [{ name: "first", url: ok }]),
      "sessions/flaky.yaml": sessionYaml("flaky", "c"),
    });
    let calls = 0;
    const flaky = faulty({
      start: () => {
        calls += 1;
        return calls <= 2 ? connectionReset() : null;
      },
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data"), wrapRunner: flaky });

    expect(await harness.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);

    expect(calls).toBeGreaterThanOrEqual(3);
    expect(record("flaky")?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    const seen = versions("sessions/flaky.json").map(
      (text) => (JSON.parse(text) as SessionRecord).status.session,
    );
    expect(seen[0]).toMatchObject({ status: "pending", succeeded: "none" });
    expect(seen.filter((s) => s.succeeded === "false")).toEqual([]);
    expect(marksOf()).toEqual(["ok"]);
    expect(harness.controller.health.state).toBe("ok");
  });

  it("repairs a session record corrupted on cfs-status while it runs, without running the session again", async () => {
    const ok = makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "ok" }) });
    repo.commit({
      "configurations/c.yaml": configurationYaml("c", [{ name: "first", url: ok }]),
      "sessions/x.yaml": sessionYaml("x", "c"),
    });
    harness = await startController({
      repo: repo.path,
      dataDir: join(dir.path, "data"),
      watch: true,
      resyncMs: 300,
    });
    await waitFor(() => record("x")?.status.session.succeeded === "true", { what: "x to complete" });
    const before = record("x")!;

    handEdit("sessions/x.json", JSON.stringify({ name: "x", status: "done" }));
    expect(record("x")?.status.session).toBeUndefined();

    await waitFor(() => record("x")?.status.session?.status === "complete", {
      what: "the record to be repaired",
    });
    await waitFor(() => repo.statusFile("problems/sessions/x.json.json") === null, {
      what: "the problem to clear once repaired",
    });
    const after = record("x")!;
    expect(after.status.session).toMatchObject({
      status: "complete",
      succeeded: "true",
      job: before.status.session.job,
    });
    expect(after.status.source).toEqual(before.status.source);
    const problems = versions("problems/sessions/x.json.json");
    expect(problems.length).toBeGreaterThanOrEqual(1);
    expect(problems[0]).toContain("unreadable-record");
    expect(marksOf()).toEqual(["ok"]);
    expect(harness.controller.error).toBeNull();
  });

  it("removes an expired session whose removal failed on a later pass, run directory and all", async () => {
    const ok = makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "ok" }) });
    repo.commit({
      "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\nsession_ttl: 1m\n",
      "configurations/c.yaml": configurationYaml("c", [{ name: "first", url: ok }]),
      "sessions/old.yaml": sessionYaml("old", "c"),
    });
    let failRemovals = 0;
    const wrapRunner = faulty({ remove: () => (failRemovals-- > 0 ? connectionReset() : null) });
    let skewMs = 0;
    const now = (): Date => new Date(Date.now() + skewMs);
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data"), wrapRunner, now });
    expect(await harness.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    const job = record("old")!.status.session.job!;
    const runDir = join(dir.path, "data", "runner", "runs", job);
    expect(existsSync(runDir)).toBe(true);
    skewMs = 120_000;

    failRemovals = 1;
    await harness.controller.pass();
    expect(record("old")?.status.session.status).toBe("complete");
    expect(repo.statusFile("expired/old.json")).toBeNull();
    expect(existsSync(runDir)).toBe(true);
    expect(harness.controller.health.state).toBe("retrying");

    await harness.controller.pass();
    expect(record("old")).toBeNull();
    expect(repo.statusFile("expired/old.json")).toContain('"name": "old"');
    expect(existsSync(runDir)).toBe(false);
    expect(harness.controller.health.state).toBe("ok");
    expect(marksOf()).toEqual(["ok"]);
  });
});
