/**
 * `cfs-gitops sources list|describe`: the CFS v3 sources the controller recorded on the status
 * branch (`sources/<name>.json`, the shape of `cray cfs v3 sources describe`, credentials named only).
 */
import type { Command } from "commander";
import { sourceNameOfRecordPath, sourceRecordPath, type SourceRecord } from "../../api/index.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { parseFormatOf, renderData, renderTable } from "../output.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";
import { StatusReader } from "../status-reader.js";

/** Registers the `sources` command group. */
export function registerSources(program: Command, io: CliIo = processIo()): void {
  const group = program
    .command("sources")
    .description("CFS sources (sources/<name>.yaml) as the controller recorded them: list, describe")
    .addHelpText(
      "after",
      "\nExamples:\n  cfs-gitops sources list\n  cfs-gitops sources describe site-vcs --format yaml\n",
    );
  registerList(group, io);
  registerDescribe(group, io);
}

async function readSources(reader: StatusReader): Promise<SourceRecord[]> {
  const paths = [...reader.snapshot.files.keys()].filter((path) => sourceNameOfRecordPath(path) !== null);
  const records = await reader.readRecords<SourceRecord>(paths);
  return records.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function registerList(group: Command, io: CliIo): void {
  addRepoOptions(
    group
      .command("list")
      .description("list the sources, like `cray cfs v3 sources list`")
      .option("--format <format>", "table, json or yaml", "table")
      .addHelpText("after", "\nExample:\n  cfs-gitops sources list --format json\n"),
  ).action(async (flags: GlobalFlags & { format: string }) => {
    const format = parseFormatOf(flags.format, ["table", "json", "yaml"] as const);
    await withRepo(
      flags,
      async (context) => {
        const sources = await readSources(await StatusReader.open(context.status));
        if (format !== "table") {
          io.stdout.write(renderData({ sources }, format));
          return;
        }
        const rows = sources.map((s) => [
          s.name,
          s.clone_url,
          s.credentials?.secret_name ?? "",
          s.ca_cert?.configmap_name ?? "",
        ]);
        io.stdout.write(renderTable(["NAME", "CLONE_URL", "SECRET", "CA_CERT"], rows));
      },
      io,
    );
  });
}

function registerDescribe(group: Command, io: CliIo): void {
  addRepoOptions(
    group
      .command("describe <name>")
      .description("show one source, in the shape of `cray cfs v3 sources describe`")
      .option("--format <format>", "json or yaml", "json")
      .addHelpText("after", "\nExample:\n  cfs-gitops sources describe site-vcs --format yaml\n"),
  ).action(async (name: string, flags: GlobalFlags & { format: string }) => {
    const format = parseFormatOf(flags.format, ["json", "yaml"] as const);
    await withRepo(
      flags,
      async (context) => {
        const reader = await StatusReader.open(context.status);
        const [record] = await reader.readRecords<SourceRecord>([sourceRecordPath(name)]);
        if (record === undefined)
          throw new CliError(
            `Source ${name} could not be found (no sources/${name}.json on the status branch)`,
          );
        io.stdout.write(renderData(record, format));
      },
      io,
    );
  });
}
