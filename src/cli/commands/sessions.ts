/** `cfs-gitops sessions list|describe|logs`: read the status branch as `cray cfs v3 sessions` would. */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import type { SessionRecord } from "../../api/index.js";
import { CliError } from "../errors.js";
import { renderData, sessionTable, type Format } from "../output.js";
import { StatusReader } from "../status-reader.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";

/** Registers the `sessions` command group. */
export function registerSessions(program: Command): void {
  const sessions = program.command("sessions").description("read sessions from the status branch");

  addRepoOptions(
    sessions
      .command("list")
      .description("list sessions with their status")
      .option("--format <format>", "table, json or yaml", "table")
      .option("--status <status>", "only pending, running or complete sessions")
      .addHelpText("after", "\nExample:\n  cfs-gitops sessions list --repo ./config --status running\n"),
  ).action(async (flags: GlobalFlags & { format: string; status?: string }) => {
    const format = parseFormat(flags.format);
    await withRepo(flags, async ({ status }) => {
      const reader = await StatusReader.open(status);
      const records = (await reader.sessions()).filter(
        (r) => !flags.status || r.status.session.status === flags.status,
      );
      process.stdout.write(format === "table" ? sessionTable(records) : renderData(records, format));
    });
  });

  addRepoOptions(
    sessions
      .command("describe <name>")
      .description("show one session record (the shape of `cray cfs v3 sessions describe`)")
      .option("--format <format>", "json or yaml", "json")
      .addHelpText("after", "\nExample:\n  cfs-gitops sessions describe example-session --repo ./config\n"),
  ).action(async (name: string, flags: GlobalFlags & { format: string }) => {
    const format = parseFormat(flags.format);
    await withRepo(flags, async ({ status }) => {
      const record = await (await StatusReader.open(status)).session(name);
      if (!record) throw new CliError(`Session ${name} could not be found`);
      process.stdout.write(renderData(record, format === "table" ? "json" : format));
    });
  });

  addRepoOptions(
    sessions
      .command("logs <name>")
      .description("print the logs of a session's steps (git-clone-<i>, inventory, ansible-<i>, ...)")
      .option("-c, --step <step>", "only this step, e.g. ansible-0")
      .addHelpText(
        "after",
        "\nExample:\n  cfs-gitops sessions logs example-session -c ansible-1 --repo ./config\n",
      ),
  ).action(async (name: string, flags: GlobalFlags & { step?: string }) => {
    await withRepo(flags, async ({ status, config }) => {
      const reader = await StatusReader.open(status);
      const record = await reader.session(name);
      if (!record) throw new CliError(`Session ${name} could not be found`);
      const steps = flags.step ? [flags.step] : stepOrder(record, reader.logSteps(name));
      for (const step of steps) {
        const text = (await reader.log(name, step)) ?? (await liveLog(config.dataDir, record, step));
        if (text === null)
          throw new CliError(
            `session ${name} has no log for step ${step} (steps: ${steps.join(", ") || "none yet"})`,
          );
        if (!flags.step) process.stdout.write(`==> ${step} <==\n`);
        process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
      }
    });
  });
}

function parseFormat(text: string): Format {
  if (text === "table" || text === "json" || text === "yaml") return text;
  throw new CliError(`--format ${text}: use table, json or yaml`, 2);
}

function stepOrder(record: SessionRecord, committed: string[]): string[] {
  const fromRecord = record.status.steps.map((s) => s.name);
  return [...fromRecord, ...committed.filter((s) => !fromRecord.includes(s))];
}

/** The log of a running session from the local runner's data directory (not yet committed). */
async function liveLog(dataDir: string, record: SessionRecord, step: string): Promise<string | null> {
  const job = record.status.session.job;
  if (!job) return null;
  return readFile(join(dataDir, "runs", job, "logs", `${step}.log`), "utf8").catch(() => null);
}
