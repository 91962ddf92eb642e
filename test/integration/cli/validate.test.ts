/**
 * `cfs-gitops validate` (the built CLI) and the controller agree on what is a session: files in a
 * folder under sessions/ are problems for both; and validate refuses (exit 2) what it cannot check.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ProblemRecord } from "../../../src/api/index.js";
import {
  ConfigRepo,
  configurationYaml,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../../helpers/config-repo.js";
import { startController } from "../../e2e/harness.js";

const CLI = resolve("dist/src/cli/main.js");

let dir: { path: string; cleanup: () => void };

beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-validate-");
});

afterEach(() => dir.cleanup());

function validate(args: string[], cwd: string): { code: number | null; stdout: string; stderr: string } {
  const run = spawnSync(process.execPath, [CLI, "validate", ...args], { cwd, encoding: "utf8" });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe("validate and the controller", () => {
  it("both make session files in folders under sessions/ problems, and run none of them", async () => {
    const marks = join(dir.path, "marks.txt");
    const layer = makeLayerRepo(dir.path, "layer", { "site.yml": playbook({ file: marks, line: "ran" }) });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/one.yaml": configurationYaml("one", [{ name: "one", url: layer }]),
      "sessions/a/q.yaml": sessionYaml("q", "one"),
      "sessions/y.yaml/z.yaml": sessionYaml("z", "one"),
    });

    const checked = validate([], repo.path);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain("sessions/a/q.yaml:1:1: session files sit directly in sessions/");
    expect(checked.stdout).toContain("sessions/y.yaml/z.yaml:1:1: session files sit directly in sessions/");

    const harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data") });
    try {
      await harness.controller.pass();
      for (const path of ["sessions/a/q.yaml", "sessions/y.yaml/z.yaml"]) {
        const problem = JSON.parse(
          repo.statusFile(`problems/${path}.json`) ?? "null",
        ) as ProblemRecord | null;
        expect(problem?.errors.map((e) => e.code)).toEqual(["misplaced"]);
      }
      expect(repo.statusFile("sessions/q.json")).toBeNull();
      expect(repo.statusFile("sessions/z.json")).toBeNull();
    } finally {
      await harness.close();
    }
    expect(existsSync(marks)).toBe(false);
  });
});

describe("validate", () => {
  it("exits 2 with a message for a path that does not exist or lies outside the repository", () => {
    const repo = join(dir.path, "config");
    mkdirSync(join(repo, "sessions"), { recursive: true });
    const missing = validate(["sessions/nope.yaml"], repo);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain("sessions/nope.yaml: no such file or directory");
    writeFileSync(join(dir.path, "elsewhere.yaml"), "x: 1\n");
    const outside = validate(["../elsewhere.yaml"], repo);
    expect(outside).toMatchObject({ code: 2 });
    expect(outside.stderr).toContain("outside the repository");
  });

  it("exits 2 outside a configuration repository, and when --root does not exist", () => {
    const empty = join(dir.path, "empty");
    mkdirSync(empty);
    const here = validate([], empty);
    expect(here).toMatchObject({ code: 2 });
    expect(here.stderr).toContain("is not a configuration repository");
    const gone = validate(["--root", join(dir.path, "gone")], empty);
    expect(gone).toMatchObject({ code: 2 });
    expect(gone.stderr).toContain("no such directory");
  });

  it("reports the layer checks of a run: clone URL transport, branch name, playbook path", () => {
    const repo = join(dir.path, "config");
    mkdirSync(join(repo, "configurations"), { recursive: true });
    writeFileSync(
      join(repo, "configurations", "bad.yaml"),
      [
        "apiVersion: cfs-gitops/v1",
        "kind: Configuration",
        "name: bad",
        "layers:",
        "  - clone_url: ext::x",
        "    branch: a..b",
        "    playbook: ../outside.yml",
        "",
      ].join("\n"),
    );
    const checked = validate([], repo);
    expect(checked.code).toBe(1);
    expect(checked.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^configurations\/bad\.yaml:5:16: clone_url uses git's "ext::" transport/),
      expect.stringMatching(/^configurations\/bad\.yaml:6:13: branch "a..b" is not a valid branch name/),
      expect.stringMatching(
        /^configurations\/bad\.yaml:7:15: playbook \.\.\/outside\.yml is not a path inside/,
      ),
    ]);
  });

  it("still exits 0 on a valid repository", () => {
    const repo = join(dir.path, "config");
    mkdirSync(join(repo, "sessions"), { recursive: true });
    writeFileSync(join(repo, "sessions", "ok.yaml"), sessionYaml("ok", "one"));
    mkdirSync(join(repo, "configurations"));
    writeFileSync(
      join(repo, "configurations", "one.yaml"),
      configurationYaml("one", [{ name: "one", url: "https://git.example.org/x.git" }]),
    );
    expect(validate([], repo)).toMatchObject({ code: 0 });
  });
});
