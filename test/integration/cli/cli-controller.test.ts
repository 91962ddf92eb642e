import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigRepo, git, makeLayerRepo, playbook, tempDir } from "../../helpers/config-repo.js";
import { startController, type Harness } from "../../e2e/harness.js";
import { runIn, type RunOptions } from "./cli-harness.js";

/**
 * The CLI with a real controller: sessions created with the CLI on a local repository that a
 * controller (local runner, real ansible-playbook) watches; `--wait` follows them to the end.
 */
let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let harness: Harness;

beforeAll(async () => {
  dir = tempDir("cfs-cli-e2e-");
  const marks = join(dir.path, "marks.txt");
  // Two playbooks: CFS refuses two layers with the same repository and playbook.
  const ok = makeLayerRepo(dir.path, "ok", {
    "site.yml": playbook({ file: marks, line: "ok" }),
    "second.yml": playbook({ file: marks, line: "ok" }),
  });
  const broken = makeLayerRepo(dir.path, "broken", {
    "site.yml": playbook({ file: marks, line: "broken", fail: true }),
  });
  repo = new ConfigRepo(join(dir.path, "config"));
  const layer = (name: string, url: string, book = "site.yml") =>
    `  - name: ${name}\n    clone_url: ${url}\n    branch: main\n    playbook: ${book}\n`;
  repo.commit({
    "configurations/good.yaml": `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: good\nlayers:\n${layer("first", ok)}${layer("second", ok, "second.yml")}`,
    "configurations/bad.yaml": `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: bad\nlayers:\n${layer("first", ok)}${layer("broken", broken)}`,
  });
  mkdirSync(join(dir.path, "home"), { recursive: true });
  harness = await startController({ repo: repo.path, dataDir: join(dir.path, "data"), watch: true });
});

afterAll(async () => {
  await harness.close();
  dir.cleanup();
});

const run = (argv: string[], options: RunOptions = {}) =>
  runIn({
    argv,
    options: { realTime: true, ...options },
    url: repo.path,
    dir: dir.path,
    home: join(dir.path, "home"),
  });

const create = (name: string, configuration: string) =>
  run([
    "sessions",
    "create",
    "--name",
    name,
    "--configuration-name",
    configuration,
    "--target-definition",
    "spec",
    "--target-group",
    "test",
    "localhost",
    "--wait",
    "--poll-interval",
    "1s",
    "--timeout",
    "2m",
  ]);

describe("sessions create --wait with a real controller", () => {
  it("commits to the checked-out branch, follows the run to the end and exits 0", async () => {
    const result = await create("cli-ok", "good");
    expect(result.stderr).toMatch(/^committed [0-9a-f]{12} to main: Add session cli-ok\n/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^cli-ok: /);
    expect(result.stdout).toMatch(/cli-ok: complete, succeeded=true \(\d+:\d\d\)\n$/);
    expect(git(repo.path, ["status", "--porcelain"])).toBe("");
    const logs = await run(["sessions", "logs", "cli-ok", "-c", "ansible-1"]);
    expect(logs.stdout).toContain("PLAY RECAP");
  });

  it("exits 1 with the reason when a layer fails", async () => {
    const result = await create("cli-broken", "bad");
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/cli-broken: complete, succeeded=false/);
    expect(result.stderr).toMatch(/\ncfs-gitops: session cli-broken failed: layer 1 .*localhost\n$/);
    const history = await run(["sessions", "history", "cli-broken"]);
    expect(
      history.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s{2,}/)[1]),
    ).toEqual(["EVENT", "added", "pending", "running", "complete"]);
  });
});
