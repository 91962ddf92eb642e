import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CREDENTIALS, sessionManifest, startCliRepo, type CliRepo } from "./cli-harness.js";

let repo: CliRepo;

beforeAll(async () => {
  repo = await startCliRepo({ "sessions/one.yaml": sessionManifest("one") });
});

afterAll(async () => {
  await repo.close();
});

const COMMANDS = [
  ["sessions"],
  ["sessions", "list"],
  ["sessions", "describe"],
  ["sessions", "logs"],
  ["sessions", "history"],
  ["sessions", "create"],
  ["sessions", "delete"],
  ["sessions", "deleteall"],
  ["sessions", "release"],
  ["configurations"],
  ["configurations", "list"],
  ["configurations", "describe"],
  ["configurations", "create"],
  ["configurations", "update"],
  ["configurations", "delete"],
  ["sources"],
  ["sources", "list"],
  ["sources", "describe"],
  ["diff"],
  ["pr-check"],
];

describe("CLI options", () => {
  it.each(COMMANDS)("%s %s --help shows usage and an example", async (...command) => {
    const result = await repo.run([...command.filter(Boolean), "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Usage: cfs-gitops /);
    expect(result.stdout).toMatch(/\nExamples?:\n {2}cfs-gitops /);
  });

  it("finds --repo in .cfs-gitops.yaml above the current folder, and in ~/.config/cfs-gitops/config.yaml", async () => {
    const project = join(repo.dir, "project");
    mkdirSync(join(project, "sub"), { recursive: true });
    writeFileSync(join(project, ".cfs-gitops.yaml"), `repo: ${repo.url}\n`);
    const fromProject = await repo.run(["sessions", "list", "--format", "json"], {
      unset: ["CFS_GITOPS_REPO"],
      cwd: join(project, "sub"),
    });
    expect(fromProject.code).toBe(0);
    expect(JSON.parse(fromProject.stdout)).toMatchObject({ sessions: [{ name: "one" }] });
    const home = join(repo.dir, "home2");
    mkdirSync(join(home, ".config", "cfs-gitops"), { recursive: true });
    writeFileSync(join(home, ".config", "cfs-gitops", "config.yaml"), `repo: ${repo.url}\nbranch: main\n`);
    const fromHome = await repo.run(["sessions", "list"], {
      unset: ["CFS_GITOPS_REPO"],
      env: { HOME: home },
    });
    expect(fromHome.code).toBe(0);
    expect(fromHome.stdout).toMatch(/\none\s+pending/);
  });

  it("fails in one line with exit code 2 when no repository is configured or a flag is wrong", async () => {
    const none = await repo.run(["sessions", "list"], { unset: ["CFS_GITOPS_REPO"] });
    expect(none).toMatchObject({
      code: 2,
      stderr: "cfs-gitops: no repository: pass --repo <path|url> or set CFS_GITOPS_REPO\n",
    });
    const same = await repo.run(["sessions", "list", "--branch", "x", "--status-branch", "x"]);
    expect(same.code).toBe(2);
    const unknown = await repo.run(["sessions", "list", "--colour"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--colour'");
  });

  it("takes credentials from --git-credentials-file, and never prints them when the server refuses them", async () => {
    const file = join(repo.dir, "credentials");
    writeFileSync(file, `${CREDENTIALS.username}:${CREDENTIALS.password}\n`);
    const unset = ["CFS_GITOPS_GIT_USERNAME", "CFS_GITOPS_GIT_PASSWORD"];
    const ok = await repo.run(["sessions", "describe", "one", "--git-credentials-file", file], { unset });
    expect(ok.code).toBe(0);
    writeFileSync(file, `${CREDENTIALS.username}:not-the-Password-9\n`);
    const refused = await repo.run(
      ["sessions", "create", "--name", "two", "--configuration-name", "site", "--git-credentials-file", file],
      {
        unset,
        env: { CFS_GITOPS_DATA_DIR: join(repo.dir, "other-data") },
      },
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1);
    expect(refused.stderr).toMatch(/^cfs-gitops: .*refused the credentials/);
    expect(refused.stderr).not.toContain("not-the-Password-9");
  });
});
