import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/cli/config.js";
import { findConfigFile, parseConfigFile, withConfigFile } from "../../../src/cli/config-file.js";

const dir = mkdtempSync(join(tmpdir(), "cfs-cli-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("parseConfigFile", () => {
  it("maps keys to the CFS_GITOPS_* variables, paths relative to the file", () => {
    const text =
      "repo: ../site-config\nbranch: prod\nstatus_branch: prod-status\ndata_dir: state\ngit_credentials_file: /etc/creds\n";
    expect(parseConfigFile("/home/jane/.cfs-gitops.yaml", text)).toEqual({
      CFS_GITOPS_REPO: "/home/site-config",
      CFS_GITOPS_BRANCH: "prod",
      CFS_GITOPS_STATUS_BRANCH: "prod-status",
      CFS_GITOPS_DATA_DIR: "/home/jane/state",
      CFS_GITOPS_GIT_CREDENTIALS_FILE: "/etc/creds",
    });
    expect(parseConfigFile("/x/c.yaml", "repo: https://git.example.org/site.git\n")).toEqual({
      CFS_GITOPS_REPO: "https://git.example.org/site.git",
    });
    expect(parseConfigFile("/x/c.yaml", "")).toEqual({});
    expect(
      parseConfigFile("/x/c.yaml", "git_credentials_file: ~/.config/cfs-gitops/credentials\n", "/home/jane"),
    ).toEqual({
      CFS_GITOPS_GIT_CREDENTIALS_FILE: "/home/jane/.config/cfs-gitops/credentials",
    });
  });

  it.each([
    ["repo: [", /not valid YAML/],
    ["- a\n", /expected a mapping of repo, branch/],
    [
      "token: x\n",
      /unknown key "token" \(known: repo, branch, status_branch, data_dir, git_credentials_file\)/,
    ],
    ["branch: 3\n", /branch must be a non-empty string/],
  ])("refuses %j with a ConfigError naming the file", (text, message) => {
    expect(() => parseConfigFile("/x/c.yaml", text)).toThrow(ConfigError);
    expect(() => parseConfigFile("/x/c.yaml", text)).toThrow(message);
  });
});

describe("withConfigFile", () => {
  it("uses the nearest .cfs-gitops.yaml above the folder, then the user's file; the environment wins", () => {
    const home = join(dir, "home");
    const project = join(dir, "project");
    const deep = join(project, "a", "b");
    mkdirSync(join(home, ".config", "cfs-gitops"), { recursive: true });
    mkdirSync(deep, { recursive: true });
    writeFileSync(
      join(home, ".config", "cfs-gitops", "config.yaml"),
      "repo: https://user.example/site.git\nbranch: user\n",
    );
    expect(findConfigFile({ cwd: deep, env: { HOME: home } })).toBe(
      join(home, ".config", "cfs-gitops", "config.yaml"),
    );
    expect(withConfigFile({ cwd: deep, env: { HOME: home } })["CFS_GITOPS_BRANCH"]).toBe("user");
    writeFileSync(join(project, ".cfs-gitops.yaml"), "repo: ./config\nbranch: project\n");
    const env = withConfigFile({ cwd: deep, env: { HOME: home, CFS_GITOPS_BRANCH: "from-env" } });
    expect(env["CFS_GITOPS_REPO"]).toBe(join(project, "config"));
    expect(env["CFS_GITOPS_BRANCH"]).toBe("from-env");
    const xdg = join(dir, "xdg");
    mkdirSync(join(xdg, "cfs-gitops"), { recursive: true });
    writeFileSync(join(xdg, "cfs-gitops", "config.yaml"), "branch: xdg\n");
    expect(findConfigFile({ cwd: dir, env: { HOME: home, XDG_CONFIG_HOME: xdg } })).toBe(
      join(xdg, "cfs-gitops", "config.yaml"),
    );
  });
});
