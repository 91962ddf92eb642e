import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { COMMANDS, commandOf } from "../../../src/cli/command-table.js";
import type { CliIo } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/run-cli.js";

function captureIo(): { io: CliIo; out: () => string } {
  let stdout = "";
  const io: CliIo = {
    stdout: { write: (text) => void (stdout += text), isTTY: false },
    stderr: { write: () => undefined, isTTY: false },
    stdin: { isTTY: false, readLine: () => Promise.resolve(null) },
    env: {},
    cwd: "/",
    now: () => new Date(0),
    sleep: () => Promise.resolve(),
  };
  return { io, out: () => stdout };
}

const commandsSection = (help: string): string => help.slice(help.indexOf("Commands:"));

describe("the lazy command table", () => {
  it("lists every command in the top-level help exactly as the loaded commands describe themselves", async () => {
    const { io, out } = captureIo();
    expect(await runCli(["--help"], io)).toBe(0);
    const real = new Command("cfs-gitops");
    for (const command of COMMANDS) (await command.load())(real, io);
    expect(commandsSection(out())).toBe(commandsSection(real.helpInformation()));
    expect(real.commands.map((command) => command.name())).toEqual(COMMANDS.map((command) => command.name));
  });

  it("finds the command a command line runs, help NAME included", () => {
    expect(commandOf(["sessions", "list", "--repo", "x"])?.name).toBe("sessions");
    expect(commandOf(["help", "diff"])?.name).toBe("diff");
    expect(commandOf(["--version"])).toBeNull();
    expect(commandOf(["nope"])).toBeNull();
    expect(commandOf([])).toBeNull();
  });

  it("prints the version and refuses an unknown command without loading any command", async () => {
    const { io, out } = captureIo();
    expect(await runCli(["--version"], io)).toBe(0);
    expect(out()).toBe("0.1.0\n");
    expect(await runCli(["nope"], captureIo().io)).toBe(2);
  });
});
