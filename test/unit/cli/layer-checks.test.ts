import { describe, expect, it } from "vitest";
import { isBranchName, layerIssues, transportProblem } from "../../../src/cli/layer-checks.js";

describe("transportProblem", () => {
  it.each([
    "https://git.example.org/site/base.git",
    "http://git.example.org/base.git",
    "ssh://git@git.example.org/base.git",
    "git@git.example.org:site/base.git",
    "file:///srv/git/base.git",
    "/srv/git/base.git",
  ])("accepts %s", (url) => expect(transportProblem(url)).toBeNull());

  it.each([
    ["ext::sh -c touch% /tmp/pwned", '"ext::" transport'],
    ["fd::3", '"fd::" transport'],
    ["ftp://example.org/base.git", '"ftp" scheme'],
    ["-uhttps://x", "dash"],
  ])("refuses %s", (url, message) => expect(transportProblem(url)).toContain(message));
});

describe("isBranchName", () => {
  it.each(["main", "release/1.2", "feature/x-y_z"])("accepts %s", (name) =>
    expect(isBranchName(name)).toBe(true),
  );
  it.each([
    "",
    "-x",
    "a..b",
    "a b",
    "a~1",
    "a^",
    "a:b",
    "a?",
    "a*",
    "a[b",
    "a\\b",
    "/a",
    "a/",
    "a.",
    "a//b",
    ".a",
    "a/.b",
    "a.lock",
    "@",
    "a@{1}",
  ])("refuses %j", (name) => expect(isBranchName(name)).toBe(false));
});

describe("layerIssues", () => {
  it("points at each bad clone_url, branch and playbook, layers and additional inventory alike", () => {
    const issues = layerIssues({
      apiVersion: "cfs-gitops/v1",
      kind: "Configuration",
      name: "c",
      layers: [
        { clone_url: "https://git.example.org/ok.git", branch: "main", playbook: "site.yml" },
        { clone_url: "ext::sh -c x", branch: "a..b", playbook: "../outside.yml" },
      ],
      additional_inventory: { clone_url: "ftp://x/inv.git", branch: "main" },
    });
    expect(issues.map((issue) => issue.pointer)).toEqual([
      "/layers/1/clone_url",
      "/layers/1/branch",
      "/layers/1/playbook",
      "/additional_inventory/clone_url",
    ]);
  });
});
