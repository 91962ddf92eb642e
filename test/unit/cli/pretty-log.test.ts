import { describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/run-cli.js";
import { prettyLogLine } from "../../../src/cli/pretty-log.js";

describe("prettyLogLine", () => {
  it("writes time, level, component and message, then the other fields as key=value", () => {
    const line = JSON.stringify({
      level: 30,
      time: Date.UTC(2026, 11, 6, 12, 3, 4),
      name: "cfs-gitops",
      component: "git",
      msg: "fetched",
      tip: "3f2a9c1d0b7e",
      ms: 41,
      source: "site config (branch main)",
      credentials: "[redacted]",
    });
    expect(prettyLogLine(`${line}\n`)).toBe(
      '12:03:04 INFO  [git] fetched tip=3f2a9c1d0b7e ms=41 source="site config (branch main)" credentials=[redacted]\n',
    );
  });

  it("names every pino level and keeps a line that is not JSON as it is", () => {
    expect(prettyLogLine(JSON.stringify({ level: 50, time: 0, msg: "boom", err: { code: 1 } }))).toBe(
      '00:00:00 ERROR boom err={"code":1}\n',
    );
    expect(prettyLogLine("not json\n")).toBe("not json\n");
  });
});

describe("controller --log-format", () => {
  it("refuses an unknown format in one line with exit code 2", async () => {
    let stderr = "";
    const io: CliIo = {
      stdout: { write: () => undefined, isTTY: false },
      stderr: { write: (text) => void (stderr += text), isTTY: false },
      stdin: null,
      env: {},
      cwd: "/",
      now: () => new Date(0),
      sleep: () => Promise.resolve(),
    };
    const code = await runCli(
      ["controller", "--repo", "https://git.example.org/x.git", "--log-format", "fancy"],
      io,
    );
    expect(code).toBe(2);
    expect(stderr).toBe("cfs-gitops: --log-format fancy: use json or pretty\n");
  });
});
