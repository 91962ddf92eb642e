import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, resolveControllerConfig, resolveRepoConfig } from "../../../src/cli/config.js";

const dir = mkdtempSync(join(tmpdir(), "cfs-config-"));

describe("resolveRepoConfig", () => {
  it("takes flags before environment, and splits credentials out of a URL", () => {
    const config = resolveRepoConfig(
      { repo: "https://bot:tok@git.example.org/site/config.git", branch: "prod" },
      { CFS_GITOPS_BRANCH: "ignored", HOME: dir },
    );
    expect(config).toMatchObject({
      repo: "https://git.example.org/site/config.git",
      kind: "remote",
      branch: "prod",
      statusBranch: "cfs-status",
    });
    expect(config.credentials).toEqual({ username: "bot", password: "tok" });
    expect(config.dataDir.startsWith(join(dir, ".local", "state", "cfs-gitops"))).toBe(true);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it("reads credentials from a file or the environment", () => {
    const file = join(dir, "creds");
    writeFileSync(file, "user:pa:ss\n");
    expect(resolveRepoConfig({ repo: dir, gitCredentialsFile: file }, {}).credentials).toEqual({
      username: "user",
      password: "pa:ss",
    });
    expect(resolveRepoConfig({ repo: dir }, { CFS_GITOPS_GIT_TOKEN: "t" }).credentials).toEqual({
      username: "git",
      password: "t",
    });
  });

  it.each([
    [{}, /no repository/],
    [{ repo: join(dir, "missing") }, /no such directory/],
    [{ repo: dir, branch: "same", statusBranch: "same" }, /must differ/],
    [{ repo: dir, gitCredentialsFile: join(dir, "nope") }, /cannot be read/],
  ])("fails with one clear line: %j", (flags, message) => {
    expect(() => resolveRepoConfig(flags, {})).toThrow(ConfigError);
    expect(() => resolveRepoConfig(flags, {})).toThrow(message);
  });
});

describe("resolveControllerConfig", () => {
  it("gives --once a timeout of 1h unless --timeout says otherwise, and refuses --timeout without --once", () => {
    expect(resolveControllerConfig({ repo: dir, once: true }, {}).onceTimeoutMs).toBe(3_600_000);
    expect(resolveControllerConfig({ repo: dir, once: true, timeout: "90s" }, {}).onceTimeoutMs).toBe(90_000);
    expect(() => resolveControllerConfig({ repo: dir, timeout: "90s" }, {})).toThrow(
      new ConfigError("--timeout needs --once"),
    );
    expect(() => resolveControllerConfig({ repo: dir, once: true, timeout: "0s" }, {})).toThrow(ConfigError);
  });

  it("parses durations and counts", () => {
    const config = resolveControllerConfig({ repo: dir, pollInterval: "2m", maxConcurrent: "8" }, {});
    expect(config).toMatchObject({ pollIntervalMs: 120_000, maxConcurrent: 8, once: false });
  });

  it.each([
    [{ pollInterval: "soon" }, /--poll-interval soon/],
    [{ maxConcurrent: "0" }, /--max-concurrent 0/],
    [{ maxConcurrent: "1.5" }, /--max-concurrent 1.5/],
  ])("rejects %j", (flags, message) => {
    expect(() => resolveControllerConfig({ repo: dir, ...flags }, {})).toThrow(message);
  });
});

describe("--step-env", () => {
  it("takes repeated and comma-separated names from the flags, else CFS_GITOPS_STEP_ENV", () => {
    const flags = { repo: dir, stepEnv: ["SITE_A,http_proxy", "SITE_A", " no_proxy "] };
    expect(resolveControllerConfig(flags, { CFS_GITOPS_STEP_ENV: "IGNORED" }).stepEnv).toEqual([
      "SITE_A",
      "http_proxy",
      "no_proxy",
    ]);
    expect(resolveControllerConfig({ repo: dir }, { CFS_GITOPS_STEP_ENV: "X,Y" }).stepEnv).toEqual([
      "X",
      "Y",
    ]);
    expect(resolveControllerConfig({ repo: dir }, {}).stepEnv).toEqual([]);
  });

  it.each([
    ["CFS_GITOPS_GIT_PASSWORD", /--step-env CFS_GITOPS_GIT_PASSWORD: .*never passed to a step/],
    ["GIT_CONFIG_COUNT", /--step-env GIT_CONFIG_COUNT: .*never passed to a step/],
    ["A=B", /--step-env A=B: "A=B" is not an environment variable name/],
  ])("refuses %s", (name, message) => {
    expect(() => resolveControllerConfig({ repo: dir, stepEnv: [name] }, {})).toThrow(ConfigError);
    expect(() => resolveControllerConfig({ repo: dir, stepEnv: [name] }, {})).toThrow(message);
  });
});
