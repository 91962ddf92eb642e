import { describe, expect, it } from "vitest";
import { GitCommandError } from "../../../src/git/errors.js";
import { assertBranchName, parseGitVersion } from "../../../src/git/repository.js";

describe("parseGitVersion", () => {
  it.each([
    ["git version 2.39.5\n", [2, 39]],
    ["git version 2.36.0.windows.1", [2, 36]],
    ["git version 2.50.1 (Apple Git-155)", [2, 50]],
  ])("reads %j", (output, expected) => {
    expect(parseGitVersion(output)).toEqual(expected);
  });

  it("returns null for anything else", () => {
    expect(parseGitVersion("hub version 2.14")).toBeNull();
  });
});

describe("assertBranchName", () => {
  it.each(["main", "cfs-status", "feature/x", "release-1.2"])("accepts %s", (name) => {
    expect(() => assertBranchName(name)).not.toThrow();
  });

  it.each(["", "-x", "a..b", "a b", "a~1", "a^", "a:b", "x.lock", "/x", "x/", "a@{1}", "a\\b", "a*"])(
    "rejects %j",
    (name) => {
      expect(() => assertBranchName(name)).toThrow(GitCommandError);
    },
  );
});
