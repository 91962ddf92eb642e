import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/cli/config.js";
import { resolveForgeConfig, type ForgeFlags } from "../../../src/cli/forge-config.js";

let dir: string;
let token: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cfs-forge-config-"));
  token = join(dir, "token");
  writeFileSync(token, "t0ken\n");
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const remote = (url: string) => ({ repo: url, kind: "remote" as const });

describe("resolveForgeConfig", () => {
  it("is off without --forge", () => {
    expect(resolveForgeConfig({}, {}, remote("https://git.example.org/site/config.git"))).toBeNull();
  });

  it.each([
    ["gitea", "https://git.example.org/site/config.git", "https://git.example.org/api/v1", "site/config"],
    [
      "gitlab",
      "https://gitlab.example.org/hpc/site/config.git",
      "https://gitlab.example.org/api/v4",
      "hpc/site/config",
    ],
    ["github", "https://github.com/site/config.git", "https://api.github.com", "site/config"],
    ["github", "https://ghe.example.org/site/config", "https://ghe.example.org/api/v3", "site/config"],
  ] as const)("derives the %s API and repository from --repo %s", (kind, url, apiUrl, repo) => {
    expect(resolveForgeConfig({ forge: kind, forgeTokenFile: token }, {}, remote(url))).toEqual({
      kind,
      apiUrl,
      repo,
      tokenFile: token,
    });
  });

  it("takes the flags over the environment, and the environment over the defaults", () => {
    const env = {
      CFS_GITOPS_FORGE: "gitea",
      CFS_GITOPS_FORGE_TOKEN_FILE: token,
      CFS_GITOPS_FORGE_URL: "https://env.example.org/api/v1/",
      CFS_GITOPS_FORGE_REPO: "env/repo",
    };
    expect(resolveForgeConfig({}, env, remote("https://git.example.org/site/config.git"))).toMatchObject({
      apiUrl: "https://env.example.org/api/v1",
      repo: "env/repo",
    });
    expect(
      resolveForgeConfig({ forgeRepo: "flag/repo" }, env, remote("https://git.example.org/site/config.git")),
    ).toMatchObject({ repo: "flag/repo" });
  });

  it("reads a relative token file from the command's folder", () => {
    expect(
      resolveForgeConfig(
        { forge: "gitea", forgeTokenFile: "token" },
        {},
        remote("https://g.example.org/a/b"),
        dir,
      ),
    ).toMatchObject({ tokenFile: token });
  });

  it.each([
    [{ forge: "bitbucket", forgeTokenFile: "x" }, "--forge bitbucket: expected one of gitea, github, gitlab"],
    [{ forge: "gitea" }, "--forge gitea needs --forge-token-file (or CFS_GITOPS_FORGE_TOKEN_FILE)"],
    [{ forgeTokenFile: "x" }, "--forge-url and --forge-token-file need --forge gitea|github|gitlab"],
    [{ forge: "gitea", forgeTokenFile: "/no/such/token" }, "--forge-token-file /no/such/token: no such file"],
    [
      { forge: "gitea", forgeTokenFile: "TOKEN", forgeUrl: "git.example.org" },
      "--forge-url git.example.org: expected an http(s) URL",
    ],
    [
      { forge: "gitea", forgeTokenFile: "TOKEN", forgeRepo: "just-a-name" },
      "--forge-repo just-a-name: expected owner/name",
    ],
  ] as [ForgeFlags, string][])("refuses %j in one line", (flags, message) => {
    const withToken = { ...flags, ...(flags.forgeTokenFile === "TOKEN" ? { forgeTokenFile: token } : {}) };
    const resolve = () =>
      resolveForgeConfig(withToken, {}, remote("https://git.example.org/site/config.git"));
    expect(resolve).toThrow(ConfigError);
    expect(resolve).toThrow(message);
  });

  it("needs --forge-url and --forge-repo with a local repository", () => {
    const local = { repo: "/srv/config", kind: "local" as const };
    expect(() => resolveForgeConfig({ forge: "gitea", forgeTokenFile: token }, {}, local)).toThrow(
      "--forge with a local --repo needs --forge-url",
    );
    expect(
      resolveForgeConfig(
        {
          forge: "gitea",
          forgeTokenFile: token,
          forgeUrl: "https://g.example.org/api/v1",
          forgeRepo: "site/config",
        },
        {},
        local,
      ),
    ).toMatchObject({ apiUrl: "https://g.example.org/api/v1", repo: "site/config" });
  });
});
