import { describe, expect, it } from "vitest";
import { GitAuthError, GitCommandError, GitFetchError } from "../../../src/git/errors.js";
import { toRemoteError } from "../../../src/git/remote-errors.js";
import { gitCommandError } from "../../../src/git/run-git.js";

const context = { operation: "fetch", url: "https://h/x.git", secrets: ["s3cret"] };

describe("toRemoteError", () => {
  it("classes refused credentials from git's stderr as GitAuthError (stalling)", () => {
    const error = gitCommandError({
      args: ["fetch"],
      what: "failed (exit 128)",
      data: { stderr: "fatal: could not read Username for 'https://h': terminal prompts disabled" },
      secrets: [],
    });
    const mapped = toRemoteError(error, context);
    expect(mapped).toBeInstanceOf(GitAuthError);
    expect(mapped.code).toBe("GitAuthError");
    expect(mapped.retry).toBe("stalling");
  });

  it("classes an HTTP 401/403 from isomorphic-git as GitAuthError", () => {
    const httpError = Object.assign(new Error("HTTP Error: 401 Unauthorized"), {
      code: "HttpError",
      data: { statusCode: 401 },
    });
    expect(toRemoteError(httpError, context)).toBeInstanceOf(GitAuthError);
  });

  it("classes network failures as GitFetchError (transient) and scrubs secrets", () => {
    const mapped = toRemoteError(new Error("connect ECONNREFUSED with s3cret"), context);
    expect(mapped).toBeInstanceOf(GitFetchError);
    expect(mapped.retry).toBe("transient");
    expect(mapped.message).not.toContain("s3cret");
  });
});

describe("gitCommandError", () => {
  it("scrubs argv and stderr and names the subcommand", () => {
    const error = gitCommandError({
      args: ["--quiet", "fetch", "https://u:pw@h/x"],
      what: "failed (exit 128)",
      data: { stderr: "fatal: https://u:pw@h/x: Authorization: Basic abcdefghij\n" },
      secrets: ["pw"],
    });
    expect(error).toBeInstanceOf(GitCommandError);
    expect(error.message).toBe("git fetch failed (exit 128): fatal: https://***@h/x: Authorization: ***");
    expect(JSON.stringify(error.data)).not.toContain("pw@");
  });
});
