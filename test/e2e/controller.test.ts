import { existsSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProblemRecord, SessionRecord } from "../../src/api/index.js";
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

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let harness: Harness | null = null;
let marks: string;

function record(name: string): SessionRecord | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  return text ? (JSON.parse(text) as SessionRecord) : null;
}

function problem(path: string): ProblemRecord | null {
  const text = repo.statusFile(`problems/${path}.json`);
  return text ? (JSON.parse(text) as ProblemRecord) : null;
}

function marksOf(): string[] {
  return existsSync(marks) ? readFileSync(marks, "utf8").trim().split("\n") : [];
}

beforeEach(() => {
  dir = tempDir("cfs-e2e-");
  marks = join(dir.path, "marks.txt");
  repo = new ConfigRepo(join(dir.path, "config"));
});

afterEach(async () => {
  await harness?.close();
  harness = null;
  dir.cleanup();
});

function layers(): { ok: string; second: string; broken: string } {
  return {
    ok: makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "ok" }) }),
    second: makeLayerRepo(dir.path, "second", { "site.yml": playbook({ file: marks, line: "second" }) }),
    broken: makeLayerRepo(dir.path, "broken", {
      "site.yml": playbook({ file: marks, line: "broken", fail: true }),
    }),
  };
}

const codes = (path: string): string[] => problem(path)?.errors.map((e) => e.code) ?? [];

/** Commits a symlink and a submodule entry under sessions/, as a careless merge could. */
function symlinkAndSubmodule(config: ConfigRepo): void {
  symlinkSync("good.yaml", join(config.path, "sessions", "link.yaml"));
  git(config.path, ["add", "sessions/link.yaml"]);
  git(config.path, ["update-index", "--add", "--cacheinfo", `160000,${"a".repeat(40)},sessions/sub`]);
  git(config.path, ["commit", "-q", "-m", "symlink and submodule"]);
}

describe("controller with the local runner and real ansible-playbook", () => {
  it("runs a new session to complete/true and records pending, running and complete on the status branch", async () => {
    const l = layers();
    const source = repo.commit({
      "configurations/two.yaml": configurationYaml("two", [
        { name: "first", url: l.ok },
        { name: "second", url: l.second },
      ]),
      "sessions/s1.yaml": sessionYaml("s1", "two"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    expect(await harness.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);

    const r = record("s1");
    expect(r?.status.session).toMatchObject({ status: "complete", succeeded: "true" });
    expect(r?.status.source).toMatchObject({ path: "sessions/s1.yaml", commit: source });
    expect(r?.status.layers.map((x) => [x.index, x.name, x.status, x.exit_code])).toEqual([
      [0, "first", "succeeded", 0],
      [1, "second", "succeeded", 0],
    ]);
    expect(r?.status.layers[0]?.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(r?.status.layers[0]?.recap.localhost?.changed).toBeGreaterThan(0);
    expect(marksOf()).toEqual(["ok", "second"]);

    const history = repo.statusLog("sessions/s1.json");
    expect(history.at(-1)).toContain("Cfs-Session: s1 pending");
    expect(history[0]).toContain("Cfs-Session: s1 complete succeeded=true");
    expect(history.every((entry) => entry.includes(`Cfs-Source-Commit: ${source}`))).toBe(true);
    expect(repo.statusFile("logs/s1/ansible-1.log")).toContain("PLAY RECAP");
  });

  it("stops at a failed layer: later layers are skipped and the session ends succeeded=false", async () => {
    const l = layers();
    repo.commit({
      "configurations/bad.yaml": configurationYaml("bad", [
        { name: "breaks", url: l.broken },
        { name: "after", url: l.ok },
      ]),
      "sessions/s2.yaml": sessionYaml("s2", "bad"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await harness.controller.runUntilSettled({ timeoutMs: 120_000 });
    const r = record("s2");
    expect(r?.status.session).toMatchObject({ status: "complete", succeeded: "false" });
    expect(r?.status.layers.map((x) => x.status)).toEqual(["failed", "skipped"]);
    expect(r?.status.layers[0]?.failed_hosts).toEqual(["localhost"]);
    expect(r?.status.reason).toMatch(/layer 0/);
    expect(marksOf()).toEqual(["broken"]);
  });

  it("records each bad file as a problem with line and column and still runs the good session", async () => {
    const l = layers();
    repo.commit({
      "configurations/c.yaml": configurationYaml("c", [{ name: "first", url: l.ok }]),
      "sessions/good.yaml": sessionYaml("good", "c"),
      "sessions/broken-yaml.yaml": "apiVersion: cfs-gitops/v1\nkind: Session\nname: [unclosed\n",
      "sessions/list.yaml": "- just\n- a list\n",
      "sessions/renamed.yaml": sessionYaml("other-name", "c"),
      "sessions/no-config.yaml": sessionYaml("no-config", "missing"),
      "sessions/bomb.yaml": `a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\n`,
      "sessions/huge.yaml": `# ${"x".repeat(1024 * 1024 + 10)}\n`,
      "sessions/latin1.yaml": Buffer.from("name: caf\xe9\n", "latin1"),
    });
    symlinkAndSubmodule(repo);
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await harness.controller.runUntilSettled({ timeoutMs: 120_000 });
    expect(record("good")?.status.session.succeeded).toBe("true");
    expect(codes("sessions/link.yaml")).toContain("not-regular-file");
    expect(codes("sessions/sub")).toContain("not-regular-file");
    expect(codes("sessions/latin1.yaml")).toContain("encoding");
    expect(codes("sessions/broken-yaml.yaml")).toContain("yaml");
    expect(codes("sessions/list.yaml")).toContain("not-an-object");
    expect(codes("sessions/renamed.yaml")).toContain("name-mismatch");
    expect(codes("sessions/no-config.yaml")).toContain("unknown-configuration");
    expect(codes("sessions/bomb.yaml").length).toBeGreaterThan(0);
    expect(codes("sessions/huge.yaml")).toContain("too-large");
    const unknown = problem("sessions/no-config.yaml")?.errors[0];
    expect(unknown).toMatchObject({ line: 5, column: 9 });
    expect(record("no-config")).toBeNull();
  });

  it("deletes the session, its logs and its run when the manifest is removed, and reports an edit as a problem", async () => {
    const l = layers();
    repo.commit({
      "configurations/c.yaml": configurationYaml("c", [{ name: "first", url: l.ok }]),
      "sessions/keep.yaml": sessionYaml("keep", "c"),
      "sessions/gone.yaml": sessionYaml("gone", "c"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await harness.controller.runUntilSettled({ timeoutMs: 120_000 });
    expect(record("gone")?.status.session.status).toBe("complete");

    repo.commit({
      "sessions/gone.yaml": null,
      "sessions/keep.yaml": sessionYaml("keep", "c", "debug_on_failure: true\n"),
    });
    await harness.controller.runUntilSettled({ timeoutMs: 60_000 });
    expect(record("gone")).toBeNull();
    expect(repo.statusFile("logs/gone/ansible-0.log")).toBeNull();
    expect(problem("sessions/keep.yaml")?.errors[0]?.code).toBe("immutable");
    expect(record("keep")?.status.session.succeeded).toBe("true");
    expect(marksOf()).toEqual(["ok", "ok"]);
    expect(repo.statusLog()[0]).toContain("Cfs-Session: gone deleted");
  });

  it("fails a session whose layer repository cannot be cloned, with that reason, and runs the others", async () => {
    const l = layers();
    repo.commit({
      "configurations/c.yaml": configurationYaml("c", [{ name: "first", url: l.ok }]),
      "configurations/gone.yaml": configurationYaml("gone", [
        { name: "first", url: join(dir.path, "no-such-repo.git") },
      ]),
      "sessions/fine.yaml": sessionYaml("fine", "c"),
      "sessions/unclonable.yaml": sessionYaml("unclonable", "gone"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    await harness.controller.runUntilSettled({ timeoutMs: 120_000 });
    expect(record("fine")?.status.session.succeeded).toBe("true");
    const r = record("unclonable");
    expect(r?.status.session).toMatchObject({ status: "complete", succeeded: "false" });
    expect(r?.status.reason).toMatch(/git-clone-0/);
    expect(r?.status.steps.find((s) => s.name === "git-clone-0")?.status).toBe("failed");
    expect(repo.statusFile("logs/unclonable/git-clone-0.log")).toBeTruthy();
  });

  it("cancels a running session when its manifest is deleted", async () => {
    const slow = makeLayerRepo(dir.path, "slow", {
      "site.yml": playbook({ file: marks, line: "slow", sleep: 60 }),
    });
    repo.commit({
      "configurations/slow.yaml": configurationYaml("slow", [{ name: "slow", url: slow }]),
      "sessions/long.yaml": sessionYaml("long", "slow"),
    });
    harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data"), watch: true });
    await waitFor(() => marksOf().includes("slow"), { what: "the slow layer to start" });
    repo.commit({ "sessions/long.yaml": null });
    await waitFor(() => !harness?.controller.records.sessions.has("long"), {
      what: "the session to be deleted",
    });
    expect(record("long")).toBeNull();
    expect(repo.statusLog("sessions/long.json")[0]).toContain("Cfs-Session: long deleted");
  });
});
