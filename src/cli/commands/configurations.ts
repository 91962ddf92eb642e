/**
 * `cfs-gitops configurations create|describe|list|update|delete`: CFS configurations as
 * `configurations/<name>.yaml` on the watched branch. Reads show CFS's V3ConfigurationData shape;
 * writes are commits, checked with the controller's own rules first.
 */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import {
  manifestPath,
  type ConfigurationManifest,
  type SessionManifest,
  type SessionRecord,
} from "../../api/index.js";
import { formatManifestError } from "../../manifest/index.js";
import { formatTime } from "../../plan/duration.js";
import {
  branchRefs,
  configurationFromFile,
  configurationFromLayers,
  configurationYaml,
  pinBranches,
} from "../configuration-edit.js";
import { lastUpdated, resolveBranch } from "../configuration-git.js";
import { newProblems, type PreviewProblem } from "../diff-preview.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { pagedData, parseFormatOf, renderData, renderTable } from "../output.js";
import { addRepoOptions, withRepo, type GlobalFlags, type RepoContext } from "../repo-options.js";
import {
  configurationManifestPaths,
  configurationProblem,
  readManifestTree,
  type ManifestTree,
} from "../repo-tree.js";
import { pageByName, parseLimit } from "../session-filters.js";
import { nameList } from "../name-list.js";
import { readSettled } from "../settled-sessions.js";
import { StatusReader } from "../status-reader.js";
import {
  commitChange,
  readBase,
  withWriteRepo,
  type WriteContext,
  type WriteFlags,
} from "../write-change.js";

/** Registers the `configurations` command group. */
export function registerConfigurations(program: Command, io: CliIo = processIo()): void {
  const group = program
    .command("configurations")
    .description("CFS configurations over Git: create, describe, list, update, delete")
    .addHelpText(
      "after",
      `
Examples:
  cfs-gitops configurations create site --layer name=base,clone_url=https://git.example.org/base.git,branch=main,playbook=site.yml
  cfs-gitops configurations update site --update-branches
  cfs-gitops configurations list --in-use true`,
    );
  registerList(group, io);
  registerDescribe(group, io);
  registerCreate(group, io);
  registerUpdate(group, io);
  registerDelete(group, io);
}

/** No configuration of that name (the REST API answers 404). */
export class ConfigurationNotFoundError extends CliError {}

/** The CFS V3ConfigurationData view of a manifest. */
export function configurationData(
  manifest: ConfigurationManifest,
  updated: string | null,
): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, name, description, ...rest } = manifest;
  return {
    name,
    ...(description === undefined ? {} : { description }),
    ...(updated === null ? {} : { last_updated: updated }),
    ...rest,
  };
}

/** The watched branch's manifests, and when each configuration file last changed. */
async function readConfigurations(
  context: RepoContext,
): Promise<{ tree: ManifestTree; updated: Map<string, string> }> {
  const tip = await context.source.fetchTip();
  if (tip === null)
    throw new CliError(`branch ${context.config.branch} does not exist in ${context.source.description}`);
  const tree = await readManifestTree({ source: context.source, commit: tip });
  const paths = [...tree.blobs.keys()].filter((path) => path.startsWith("configurations/"));
  return { tree, updated: await lastUpdated({ gitDir: context.gitDir, tip, paths }) };
}

function updatedOf(tree: ManifestTree, updated: Map<string, string>, name: string): string | null {
  const [path] = configurationManifestPaths(tree, name);
  return path === undefined ? null : (updated.get(path) ?? null);
}

type ListFlags = GlobalFlags & {
  format: string;
  output?: string;
  limit?: string;
  after?: string;
  inUse?: string;
};

function registerList(group: Command, io: CliIo): void {
  addRepoOptions(
    group
      .command("list")
      .description("list configurations (valid ones; see `cfs-gitops validate` for the rest)")
      .option("--format <format>", "table, json or yaml", "table")
      .option("-o, --output <format>", "the same as --format (as kubectl spells it)")
      .option(
        "--in-use <bool>",
        "true: only those a component's desired_config names; false: only the others",
      )
      .option("--limit <n>", "at most n configurations (sorted by name)")
      .option("--after <name>", "only configurations whose name sorts after this one")
      .addHelpText("after", "\nExample:\n  cfs-gitops configurations list --format json --limit 50\n"),
  ).action(async (flags: ListFlags) => {
    const format = parseFormatOf(flags.output ?? flags.format, ["table", "json", "yaml"] as const);
    const limit = parseLimit(flags.limit);
    const inUse = parseInUse(flags.inUse);
    await withRepo(
      flags,
      async (context) => {
        const { tree, updated } = await readConfigurations(context);
        const used = new Set(tree.desired.components.map((c) => c.desired_config).filter(Boolean));
        const all = [...tree.desired.configurations.values()].filter(
          (c) => inUse === null || used.has(c.name) === inUse,
        );
        const page = pageByName(all, { limit, after: flags.after ?? null });
        const items = page.items.map((c) => configurationData(c, updatedOf(tree, updated, c.name)));
        if (format === "table") {
          const rows = page.items.map((c) => [
            c.name,
            String(c.layers.length),
            updatedOf(tree, updated, c.name) ?? "-",
            c.description ?? "",
          ]);
          io.stdout.write(renderTable(["NAME", "LAYERS", "LAST UPDATED", "DESCRIPTION"], rows));
          if (page.next !== null) io.stderr.write(`more configurations: add --after ${page.next}\n`);
          return;
        }
        const params = { limit, in_use: flags.inUse ?? null };
        io.stdout.write(
          renderData(pagedData({ key: "configurations", items, next: page.next, params }), format),
        );
      },
      io,
    );
  });
}

function parseInUse(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  if (value === "true" || value === "false") return value === "true";
  throw new CliError(`--in-use ${value}: use true or false`, 2);
}

function registerDescribe(group: Command, io: CliIo): void {
  addRepoOptions(
    group
      .command("describe <name>")
      .description("show one configuration in the shape of `cray cfs v3 configurations describe`")
      .option("--format <format>", "json or yaml", "json")
      .option("-o, --output <format>", "the same as --format (as kubectl spells it)")
      .addHelpText("after", "\nExample:\n  cfs-gitops configurations describe site -o yaml\n"),
  ).action(async (name: string, flags: GlobalFlags & { format: string; output?: string }) => {
    const format = parseFormatOf(flags.output ?? flags.format, ["json", "yaml"] as const);
    await withRepo(
      flags,
      async (context) => {
        const { tree, updated } = await readConfigurations(context);
        const manifest = tree.desired.configurations.get(name);
        if (!manifest) throw notFound({ tree, name });
        io.stdout.write(renderData(configurationData(manifest, updatedOf(tree, updated, name)), format));
      },
      io,
    );
  });
}

/** CFS's wording, or the file's problem when the manifest exists but cannot be used. */
function notFound(input: { tree: ManifestTree; name: string }): CliError {
  const problem = configurationProblem(input.tree, input.name);
  if (problem !== null) return new CliError(`configuration ${input.name} cannot be used: ${problem}`);
  return new ConfigurationNotFoundError(`Configuration ${input.name} could not be found`);
}

type ContentFlags = WriteFlags & { file?: string; layer?: string[]; description?: string };

function addContentOptions(command: Command): Command {
  return addRepoOptions(command, { write: true })
    .option(
      "--file <file>",
      "the configuration as YAML or JSON: CFS's shape ({layers, additional_inventory, description}) or a manifest",
    )
    .option(
      "--layer <spec>",
      "a layer as name=...,clone_url=...,branch=...|commit=...,playbook=... (repeatable, in order)",
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option("--description <text>", "free text for people")
    .option("-m, --message <subject>", "commit subject (default: says what the command does)");
}

/** The manifest from --file or --layer (exactly one of them). */
async function contentOf(name: string, flags: ContentFlags): Promise<ConfigurationManifest | null> {
  if (flags.file !== undefined && flags.layer !== undefined)
    throw new CliError("give --file or --layer, not both", 2);
  if (flags.file !== undefined) {
    const text = await readFile(flags.file, "utf8").catch(() => {
      throw new CliError(`--file ${flags.file}: cannot be read`, 2);
    });
    const manifest = configurationFromFile({ name, file: flags.file, text });
    return flags.description === undefined ? manifest : { ...manifest, description: flags.description };
  }
  if (flags.layer !== undefined) {
    return configurationFromLayers({
      name,
      layers: flags.layer,
      ...(flags.description === undefined ? {} : { description: flags.description }),
    });
  }
  return null;
}

/** The change must not bring a problem the tree did not have (in this file or in sessions using it). */
export function assertNoNewProblems(input: {
  before: ManifestTree;
  after: ManifestTree;
  what: string;
}): void {
  const problems = newProblems(input.before.desired, input.after.desired);
  if (problems.length === 0) return;
  throw new CliError(`${input.what} would be invalid: ${summarizeProblems(problems)}`, 2);
}

/** How many problems a refusal spells out; the rest are counted and named by file. */
const SPELLED_OUT = 1;
/** How many more files a refusal names. */
const NAMED_FILES = 3;

/**
 * One readable line for many problems: the first in full (`file:line:col: message`), then the
 * count of the others and a few of their files, never the whole list.
 */
export function summarizeProblems(problems: readonly PreviewProblem[]): string {
  const shown = problems.slice(0, SPELLED_OUT).map((p) => formatManifestError(p.path, p.error));
  const rest = problems.slice(SPELLED_OUT);
  if (rest.length === 0) return shown.join("; ");
  const files = [...new Set(rest.map((p) => p.path))];
  const named = files.slice(0, NAMED_FILES).join(", ");
  const others = files.length > NAMED_FILES ? ` and ${files.length - NAMED_FILES} more` : "";
  const count = `${rest.length} more problem${rest.length === 1 ? "" : "s"}`;
  return `${shown.join("; ")}; and ${count} in ${named}${others} (cfs-gitops validate lists them all)`;
}

/** The write context with the status branch's finished sessions, which hold no configuration back. */
async function withSettled(context: WriteContext): Promise<WriteContext> {
  if (context.settled) return context;
  return { ...context, settled: await readSettled(context.status) };
}

function registerCreate(group: Command, io: CliIo): void {
  addContentOptions(
    group
      .command("create <name>")
      .description("create a configuration: write configurations/<name>.yaml, commit and push it")
      .addHelpText(
        "after",
        `
Examples:
  cfs-gitops configurations create site --file site.json
  cfs-gitops configurations create site \\
      --layer name=base,clone_url=https://git.example.org/base.git,branch=main,playbook=site.yml`,
      ),
  ).action(async (name: string, flags: ContentFlags) => {
    const manifest = await contentOf(name, flags);
    if (manifest === null) throw new CliError("give the layers with --file or --layer", 2);
    await withWriteRepo(flags, io, async (context) => {
      await createConfiguration({ context, name, manifest });
    });
  });
}

/** Commits a new configuration (refused when one of that name exists or it would be invalid). */
export async function createConfiguration(input: {
  context: WriteContext;
  name: string;
  manifest: ConfigurationManifest;
  /** Extra lines for the commit message (the REST API's trailer). */
  trailer?: string;
}): Promise<void> {
  const { name, manifest } = input;
  const context = await withSettled(input.context);
  const path = manifestPath("Configuration", name);
  const changes = new Map([[path, Buffer.from(configurationYaml(manifest))]]);
  const before = await readBase(context);
  if (configurationManifestPaths(before, name).length > 0)
    throw new CliError(`Configuration ${name} already exists: use configurations update`);
  const check = (after: ManifestTree): void =>
    assertNoNewProblems({ before, after, what: `configuration ${name}` });
  check(await readBase(context, changes));
  await commitChange(context, {
    changes,
    subject: `Add configuration ${name}`,
    body: withTrailer(layerList(manifest), input.trailer),
    check,
  });
}

function withTrailer(body: string, trailer: string | undefined): string {
  return trailer === undefined ? body : `${body}\n\n${trailer}`;
}

function layerList(manifest: ConfigurationManifest): string {
  return manifest.layers
    .map(
      (layer, i) =>
        `- ${layer.name ?? `layer${i}`}: ${layer.clone_url} ${layer.commit ?? `branch ${layer.branch ?? "?"}`} ${layer.playbook}`,
    )
    .join("\n");
}

type UpdateFlags = ContentFlags & { updateBranches?: boolean };

/** What an update changes besides the layers: the description, and pinning branch layers. */
export type UpdateChoices = Pick<UpdateFlags, "updateBranches" | "description">;

function registerUpdate(group: Command, io: CliIo): void {
  addContentOptions(
    group
      .command("update <name>")
      .description("replace a configuration's layers, and/or pin its branch layers to their current commits")
      .option(
        "--update-branches",
        "resolve every branch layer to its current commit (git ls-remote), in one commit",
      )
      .addHelpText(
        "after",
        `
--update-branches replaces each "branch: X" with "commit: <sha>" (X's tip now) and a comment
naming the branch, so sessions use exactly what was reviewed.

Examples:
  cfs-gitops configurations update site --update-branches
  cfs-gitops configurations update site --file site.json --branch site-next   # as a pull request`,
      ),
  ).action(async (name: string, flags: UpdateFlags) => {
    const manifest = await contentOf(name, flags);
    if (manifest === null && !flags.updateBranches && flags.description === undefined)
      throw new CliError("nothing to update: give --file, --layer, --description or --update-branches", 2);
    await withWriteRepo(flags, io, async (context) => {
      await updateConfiguration({ context, name, manifest, flags });
    });
  });
}

/** Replaces a configuration and/or pins its branch layers, in one commit (none when nothing changes). */
export async function updateConfiguration(input: {
  context: WriteContext;
  name: string;
  manifest: ConfigurationManifest | null;
  flags: UpdateChoices;
  trailer?: string;
}): Promise<void> {
  const { name } = input;
  const context = await withSettled(input.context);
  const before = await readBase(context);
  const [path] = configurationManifestPaths(before, name);
  const current = before.desired.configurations.get(name);
  if (path === undefined || current === undefined) throw notFound({ tree: before, name });
  const old = before.texts.get(path) ?? "";
  const { text, pinned } = await updatedText({ ...input, current, old });
  if (text === old) {
    context.io.stderr.write(`configuration ${name}: nothing to update\n`);
    return;
  }
  const changes = new Map([[path, Buffer.from(text)]]);
  const check = (after: ManifestTree): void =>
    assertNoNewProblems({ before, after, what: `configuration ${name}` });
  check(await readBase(context, changes));
  const subject =
    pinned.length > 0 && !input.manifest
      ? `Pin configuration ${name} to current commits`
      : `Update configuration ${name}`;
  await commitChange(context, {
    changes,
    subject,
    body: withTrailer(pinned.join("\n"), input.trailer),
    check,
  });
}

/** The new text: the given manifest, or the old text (with a new description), then pinned. */
async function updatedText(input: {
  context: WriteContext;
  manifest: ConfigurationManifest | null;
  flags: UpdateChoices;
  current: ConfigurationManifest;
  old: string;
}): Promise<{ text: string; pinned: string[] }> {
  const { manifest, flags, current } = input;
  const described =
    manifest === null && flags.description !== undefined
      ? { ...current, description: flags.description }
      : null;
  const next = manifest ?? described ?? current;
  const text = manifest !== null || described !== null ? configurationYaml(next) : input.old;
  if (!flags.updateBranches) return { text, pinned: [] };
  return pin({ context: input.context, manifest: next, text });
}

/** Resolves every branch reference and rewrites the text; returns the text and one line per pin. */
async function pin(input: {
  context: WriteContext;
  manifest: ConfigurationManifest;
  text: string;
}): Promise<{ text: string; pinned: string[] }> {
  const { context } = input;
  const commits = new Map<string, string>();
  const pinned: string[] = [];
  for (const ref of branchRefs(input.manifest)) {
    const sha = await resolveBranch({
      url: ref.clone_url,
      branch: ref.branch,
      credentials: context.config.credentials,
      repoUrl: context.config.repo,
    });
    commits.set(ref.where, sha);
    pinned.push(`- ${ref.label}: branch ${ref.branch} -> ${sha}`);
  }
  if (commits.size === 0) {
    context.io.stderr.write(`configuration ${input.manifest.name} has no branch layers to pin\n`);
    return { text: input.text, pinned };
  }
  const when = formatTime(context.io.now());
  return { text: pinBranches({ text: input.text, commits, when }), pinned };
}

function registerDelete(group: Command, io: CliIo): void {
  addRepoOptions(
    group
      .command("delete <name>")
      .description("delete a configuration (refused while a component or an unfinished session uses it)")
      .option("-m, --message <subject>", "commit subject")
      .addHelpText("after", "\nExample:\n  cfs-gitops configurations delete old-site\n"),
    { write: true },
  ).action(async (name: string, flags: WriteFlags) => {
    await withWriteRepo(flags, io, async (context) => {
      await deleteConfiguration({ context, name });
    });
  });
}

/** Commits the removal of a configuration; refused while a component or an unfinished session uses it. */
export async function deleteConfiguration(input: {
  context: WriteContext;
  name: string;
  trailer?: string;
}): Promise<void> {
  const { context, name } = input;
  const io = context.io;
  const tree = await readBase(context);
  const paths = configurationManifestPaths(tree, name);
  if (paths.length === 0) throw new ConfigurationNotFoundError(`Configuration ${name} could not be found`);
  const reader = await StatusReader.open(context.status);
  const records = new Map((await reader.sessions()).map((r) => [r.name, r]));
  const expired = new Set((await reader.expired()).keys());
  const check = (current: ManifestTree): void =>
    refuseIfUsed(configurationUsage({ tree: current, records, expired, name }), name);
  const usage = configurationUsage({ tree, records, expired, name });
  refuseIfUsed(usage, name);
  if (usage.completeSessions.length > 0) {
    io.stderr.write(
      `note: finished sessions ${nameList(usage.completeSessions)} still name ${name}; their records keep what they ran (delete their manifests with cfs-gitops sessions delete NAME when you like)\n`,
    );
  }
  await commitChange(context, {
    changes: new Map(paths.map((path) => [path, null])),
    subject: `Delete configuration ${name}`,
    ...(input.trailer === undefined ? {} : { body: input.trailer }),
    check,
  });
}

/** Who uses a configuration: components (desired_config) and session manifests, by session state. */
export interface ConfigurationUsage {
  components: string[];
  unfinishedSessions: string[];
  /** Sessions that completed or expired: they hold nothing back. */
  completeSessions: string[];
}

/**
 * Components whose desired_config is `name`, and session manifests that name it: finished ones
 * (complete, or expired by session_ttl) apart; unrecorded ones count as unfinished.
 */
export function configurationUsage(input: {
  tree: ManifestTree;
  records: ReadonlyMap<string, SessionRecord>;
  expired?: ReadonlySet<string>;
  name: string;
}): ConfigurationUsage {
  const { tree, records, name } = input;
  const sessions = tree.files.flatMap((file) =>
    file.parsed.ok &&
    file.parsed.kind === "Session" &&
    (file.parsed.manifest as SessionManifest).configuration.name === name
      ? [file.parsed.name]
      : [],
  );
  const isFinished = (session: string): boolean =>
    records.get(session)?.status.session.status === "complete" ||
    (!records.has(session) && (input.expired?.has(session) ?? false));
  return {
    components: tree.desired.components.filter((c) => c.desired_config === name).map((c) => c.id),
    unfinishedSessions: sessions.filter((s) => !isFinished(s)),
    completeSessions: sessions.filter(isFinished),
  };
}

function refuseIfUsed(usage: ConfigurationUsage, name: string): void {
  if (usage.components.length > 0) {
    throw new CliError(
      `Configuration ${name} is in use: it is the desired_config of components ${nameList(usage.components)}`,
    );
  }
  if (usage.unfinishedSessions.length > 0) {
    throw new CliError(
      `Configuration ${name} is in use by unfinished sessions ${nameList(usage.unfinishedSessions)}: wait for them to complete, or delete them`,
    );
  }
}
