import { describe, expect, it } from "vitest";
import {
  aeeEnv,
  ansibleStepEnv,
  gitStepEnv,
  isSameOrigin,
  stepBaseEnv,
  stepEnvNameProblem,
} from "../../../src/runners/steps/index.js";
import { layer, runSpec } from "../../helpers/ansible-fixtures.js";

const CONTROLLER_ENV = {
  PATH: "/usr/bin:/bin",
  HOME: "/home/cfs",
  LANG: "C.UTF-8",
  CFS_GITOPS_GIT_PASSWORD: "pw",
  CFS_GITOPS_WEBHOOK_SECRET: "hook",
  CFS_GITOPS_IMS_TOKEN_FILE: "/run/ims-token",
  GIT_CONFIG_COUNT: "1",
  ANSIBLE_STDOUT_CALLBACK: "json",
  AWS_SECRET_ACCESS_KEY: "aws",
  http_proxy: "http://user:pw@proxy:3128",
  SITE_SETTING: "x",
};

const credentials = {
  credentials: { username: "bot", password: "pw" },
  url: "https://git.example.org/site/config.git",
};

describe("stepBaseEnv", () => {
  it("takes only the harmless base names from the controller's environment", () => {
    expect(stepBaseEnv({ from: CONTROLLER_ENV })).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/cfs",
      LANG: "C.UTF-8",
    });
  });

  it("adds the site's allowed names and explicit values, and never a secret name whatever the lists say", () => {
    const env = stepBaseEnv({
      from: CONTROLLER_ENV,
      allow: ["SITE_SETTING", "http_proxy", "CFS_GITOPS_GIT_PASSWORD", "GIT_CONFIG_COUNT", "NOT_SET"],
      set: { CFS_DEMO_OUT: "/tmp/out", CFS_GITOPS_WEBHOOK_SECRET: "again", LANG: undefined },
    });
    expect(env).toEqual({
      PATH: "/usr/bin:/bin",
      HOME: "/home/cfs",
      SITE_SETTING: "x",
      http_proxy: "http://user:pw@proxy:3128",
      CFS_DEMO_OUT: "/tmp/out",
    });
  });
});

describe("stepEnvNameProblem", () => {
  it.each([
    ["SITE_SETTING", null],
    ["http_proxy", null],
    [
      "CFS_GITOPS_GIT_PASSWORD",
      "CFS_GITOPS_GIT_PASSWORD is never passed to a step (it holds the controller's settings or a credential)",
    ],
    [
      "cfs_gitops_repo",
      "cfs_gitops_repo is never passed to a step (it holds the controller's settings or a credential)",
    ],
    [
      "CFS_IMS_TOKEN",
      "CFS_IMS_TOKEN is never passed to a step (it holds the controller's settings or a credential)",
    ],
    [
      "GIT_CONFIG_VALUE_0",
      "GIT_CONFIG_VALUE_0 is never passed to a step (it holds the controller's settings or a credential)",
    ],
    ["A-B", '"A-B" is not an environment variable name'],
    ["", '"" is not an environment variable name'],
  ])("%s -> %s", (name, problem) => {
    expect(stepEnvNameProblem(name)).toBe(problem);
  });
});

describe("gitStepEnv", () => {
  const base = { PATH: "/usr/bin" };

  it("scopes the credentials to a clone URL on their own server", () => {
    const url = "https://git.example.org/site/layer.git";
    expect(gitStepEnv({ base, url, credentials })).toEqual({
      PATH: "/usr/bin",
      GIT_TERMINAL_PROMPT: "0",
      GCM_INTERACTIVE: "never",
      LC_ALL: "C",
      LANGUAGE: "C",
      GIT_CONFIG_COUNT: "2",
      GIT_CONFIG_KEY_0: "credential.helper",
      GIT_CONFIG_VALUE_0: "",
      GIT_CONFIG_KEY_1: `http.${url}.extraHeader`,
      GIT_CONFIG_VALUE_1: `Authorization: Basic ${Buffer.from("bot:pw").toString("base64")}`,
    });
  });

  it.each([
    "https://other.example.org/site/layer.git",
    "http://git.example.org/site/layer.git",
    "https://git.example.org:8443/site/layer.git",
    "ssh://git.example.org/site/layer.git",
    "/srv/git/layer.git",
  ])("gives no credentials for %s", (url) => {
    const env = gitStepEnv({ base, url, credentials });
    expect(Object.keys(env).filter((name) => name.startsWith("GIT_CONFIG"))).toEqual([]);
  });
});

describe("isSameOrigin", () => {
  it("compares scheme, host and port of http(s) URLs only", () => {
    expect(isSameOrigin("https://h/a.git", "https://h:443/b.git")).toBe(true);
    expect(isSameOrigin("https://h/a.git", "https://H/b.git")).toBe(true);
    expect(isSameOrigin("file:///a", "file:///b")).toBe(false);
    expect(isSameOrigin("not a url", "not a url")).toBe(false);
  });
});

describe("aeeEnv and ansibleStepEnv", () => {
  const spec = runSpec("s1", []);
  const l = layer(2, {
    clone_url: "https://bot:pw@git.example.org/x.git",
    commit: "a".repeat(40),
    playbook: "site.yml",
  });

  it("sets the variables CFS's execution environment gives playbooks, without credentials in the URL", () => {
    expect(aeeEnv(spec, l)).toEqual({
      SESSION_NAME: "s1",
      SESSION_CLONE_URL: "https://git.example.org/x.git",
      SESSION_PLAYBOOK: "site.yml",
      LAYER_CURRENT: "2",
      INVENTORY_TYPE: "dynamic",
    });
  });

  it("puts ansible's own settings and the image extras on top", () => {
    const env = ansibleStepEnv({
      base: { PATH: "/usr/bin", SESSION_NAME: "spoofed" },
      spec: { ...spec, session: { ...spec.session, target: { definition: "image" } } },
      layer: l,
      configPath: "/w/ansible.cfg",
      imageEnv: { ANSIBLE_CONNECTION_PLUGINS: "/p" },
    });
    expect(env).toMatchObject({
      PATH: "/usr/bin",
      SESSION_NAME: "s1",
      INVENTORY_TYPE: "image",
      ANSIBLE_CONFIG: "/w/ansible.cfg",
      ANSIBLE_CONNECTION_PLUGINS: "/p",
    });
  });
});
