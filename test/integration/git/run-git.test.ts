import { describe, expect, it } from "vitest";
import { GitCommandError } from "../../../src/git/errors.js";
import { runGit } from "../../../src/git/run-git.js";

describe("runGit", () => {
  it("returns stdout and passes stdin", async () => {
    const { stdout } = await runGit({ args: ["hash-object", "--stdin"], stdin: "hello\n" });
    expect(stdout.toString().trim()).toBe("ce013625030ba8dba906f756967f9e9ca394464a");
  });

  it("treats listed exit codes as answers", async () => {
    const result = await runGit({
      args: ["config", "--file", "/dev/null", "--get", "no.such"],
      okExitCodes: [1],
    });
    expect(result.exitCode).toBe(1);
  });

  it("fails with a scrubbed GitCommandError carrying the exit code", async () => {
    const error = await runGit({
      args: ["ls-remote", "https://bob:hunter2-pw@127.0.0.1:9/x.git"],
      secrets: ["hunter2-pw"],
      timeoutMs: 20_000,
    }).then(
      () => null,
      (e: unknown) => e as GitCommandError,
    );
    expect(error).toBeInstanceOf(GitCommandError);
    expect(error!.data["exitCode"]).toBe(128);
    expect(`${error!.message} ${JSON.stringify(error!.data)}`).not.toContain("hunter2-pw");
  });

  it("stops a command at its timeout and when aborted", async () => {
    const slow = ["-c", "alias.wait=!sleep 5", "wait"];
    const timedOut = await runGit({ args: slow, timeoutMs: 200 }).catch((e: unknown) => e as GitCommandError);
    expect(timedOut).toBeInstanceOf(GitCommandError);
    expect((timedOut as GitCommandError).data["timedOut"]).toBe(true);
    const abort = new AbortController();
    const pending = runGit({ args: slow, signal: abort.signal }).catch((e: unknown) => e as GitCommandError);
    setTimeout(() => abort.abort(), 100);
    expect(((await pending) as GitCommandError).data["aborted"]).toBe(true);
  });

  it("fails with GitCommandError when it cannot start", async () => {
    await expect(runGit({ args: ["version"], cwd: "/definitely/not/here" })).rejects.toBeInstanceOf(
      GitCommandError,
    );
  });
});
