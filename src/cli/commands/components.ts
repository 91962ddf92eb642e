/**
 * `cfs-gitops components ...`: the verbs of `cray cfs v3 components`, over Git. Reads come from the
 * status branch (`components/<id>.json`), falling back to the manifest for a component the
 * controller has not recorded yet; writes are commits of `components/<id>.yaml`, made and checked
 * like `sessions create`.
 */
import type { Command } from "commander";
import { yaml } from "../../manifest/yaml-library.js";
import {
  CONFIGURATION_STATUSES,
  componentIdOfRecordPath,
  type ComponentRecord,
  type SessionRecord,
} from "../../api/index.js";
import { formatManifestError } from "../../manifest/index.js";
import { componentFromManifest, matchesManifest, retryLimit } from "../../plan/index.js";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import { pagedData, parseFormatOf, renderData, renderTable } from "../output.js";
import { addRepoOptions, withRepo, type GlobalFlags } from "../repo-options.js";
import { manifestPathsOf, readManifestTree, type ManifestTree } from "../repo-tree.js";
import { StatusReader } from "../status-reader.js";
import {
  commitChange,
  readBase,
  withWriteRepo,
  type WriteContext,
  type WriteFlags,
} from "../write-change.js";

/** Registers the `components` command group. */
export function registerComponents(program: Command, io: CliIo = processIo()): void {
  const components = program
    .command("components")
    .description("CFS components over Git: list, describe, update, delete")
    .addHelpText(
      "after",
      `
Examples:
  cfs-gitops components list --status pending
  cfs-gitops components describe x1000c0s0b0n0
  cfs-gitops components update --ids x1000c0s0b0n0,x1000c0s0b0n1 --desired-config site-2
  cfs-gitops components update x1000c0s0b0n0 --reconfigure`,
    );
  registerList(components, io);
  registerDescribe(components, io);
  registerUpdate(components, io);
  registerDelete(components, io);
}

/** What the read commands show: each component's record (or its manifest's view), and the session records. */
interface Loaded {
  components: ComponentRecord[];
  sessions: SessionRecord[];
}

async function loadComponents(flags: GlobalFlags, io: CliIo, work: (loaded: Loaded) => void): Promise<void> {
  await withRepo(
    flags,
    async (context) => {
      const reader = await StatusReader.open(context.status);
      const tip = await context.source.fetchTip();
      const tree = tip === null ? null : await readManifestTree({ source: context.source, commit: tip });
      work({ components: await loadComponentViews(reader, tree), sessions: await reader.sessions() });
    },
    io,
  );
}

/** The components as `components list` shows them: the status records over the watched branch's manifests. */
export async function loadComponentViews(
  reader: StatusReader,
  tree: ManifestTree | null,
): Promise<ComponentRecord[]> {
  return componentViews(await readComponentRecords(reader), tree);
}

async function readComponentRecords(reader: StatusReader): Promise<Map<string, ComponentRecord>> {
  const paths = [...reader.snapshot.files.keys()].filter((p) => componentIdOfRecordPath(p) !== null);
  const records = await reader.readRecords<ComponentRecord>(paths);
  return new Map(records.map((record) => [record.id, record]));
}

/**
 * The components of the watched branch, each as the status branch records it, with what a person
 * sets (desired_config, enabled, tags, retry_policy) taken from its manifest when the controller has
 * not recorded the change yet: a write is visible to the next read, before the next pass. One whose
 * desired_config changed, or that has no record yet, is pending when it names a configuration that
 * exists, else unconfigured. Without the watched branch, the records alone.
 */
function componentViews(
  recorded: Map<string, ComponentRecord>,
  tree: ManifestTree | null,
): ComponentRecord[] {
  if (!tree) return [...recorded.values()].sort(byId);
  const option = tree.desired.options?.default_batcher_retry_policy;
  return tree.desired.components
    .map((manifest) => {
      const record = recorded.get(manifest.id);
      const retries = retryLimit(manifest.retry_policy, option);
      if (record && matchesManifest(record, manifest, retries)) return record;
      const view = componentFromManifest({ manifest, record, retries, reconfigured: false });
      if (record && record.desired_config === view.desired_config) return { ...record, ...view };
      const wanted = view.desired_config !== "" && tree.desired.configurations.has(view.desired_config);
      return {
        ...record,
        ...view,
        desired_state: [],
        configuration_status: wanted ? "pending" : "unconfigured",
      } satisfies ComponentRecord;
    })
    .sort(byId);
}

function byId(a: ComponentRecord, b: ComponentRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Filters of `components list` (CFS v3's query parameters). */
export interface FilterFlags {
  ids?: string;
  status?: string;
  enabled?: string;
  configName?: string;
  tags?: string;
}

/** A predicate from the filter flags; a bad value is a usage error (exit 2). */
export function componentFilter(flags: FilterFlags): (component: ComponentRecord) => boolean {
  const ids = flags.ids === undefined ? null : new Set(splitList(flags.ids));
  const statuses = flags.status === undefined ? null : splitList(flags.status);
  for (const status of statuses ?? []) {
    if (!(CONFIGURATION_STATUSES as readonly string[]).includes(status))
      throw new CliError(`--status ${status}: one of ${CONFIGURATION_STATUSES.join(", ")}`, 2);
  }
  const enabled = flags.enabled === undefined ? null : parseBoolean("--enabled", flags.enabled);
  const tags = flags.tags === undefined ? [] : parseTags(flags.tags);
  return (component) =>
    (ids === null || ids.has(component.id)) &&
    (statuses === null || statuses.includes(component.configuration_status)) &&
    (enabled === null || component.enabled === enabled) &&
    (flags.configName === undefined || component.desired_config === flags.configName) &&
    tags.every(([key, value]) => component.tags[key] === value);
}

function splitList(text: string): string[] {
  return text
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");
}

function parseBoolean(flag: string, text: string): boolean {
  if (text === "true") return true;
  if (text === "false") return false;
  throw new CliError(`${flag} ${text}: true or false`, 2);
}

function parseTags(text: string): Array<[string, string]> {
  return splitList(text).map((pair) => {
    const at = pair.indexOf("=");
    if (at <= 0) throw new CliError(`--tags ${pair}: expected key=value`, 2);
    return [pair.slice(0, at), pair.slice(at + 1)];
  });
}

type ListFlags = GlobalFlags & FilterFlags & { format: string };

function registerList(components: Command, io: CliIo): void {
  addRepoOptions(
    components
      .command("list")
      .description("list components, filtered like `cray cfs v3 components list`")
      .option("--ids <id,...>", "only these components")
      .option("--status <status,...>", "unconfigured, pending, failed or configured")
      .option("--enabled <bool>", "true or false")
      .option("--config-name <name>", "only components whose desired_config is this configuration")
      .option("--tags <k=v,...>", "only components with all these tags")
      .option("--format <format>", "table, json or yaml", "table")
      .option("-o, --output <format>", "the same as --format (as kubectl spells it)"),
  ).action(async (flags: ListFlags & { output?: string }) => {
    const format = parseFormatOf(flags.output ?? flags.format, ["table", "json", "yaml"] as const);
    const matches = componentFilter(flags);
    await loadComponents(flags, io, ({ components: all }) => {
      const chosen = all.filter(matches);
      if (format === "table") {
        io.stdout.write(componentTable(chosen));
        return;
      }
      const params = {
        ids: flags.ids ?? null,
        status: flags.status ?? null,
        enabled: flags.enabled ?? null,
        config_name: flags.configName ?? null,
        tags: flags.tags ?? null,
      };
      io.stdout.write(
        renderData(pagedData({ key: "components", items: chosen, next: null, params }), format),
      );
    });
  });
}

function componentTable(components: readonly ComponentRecord[]): string {
  return renderTable(
    ["ID", "STATUS", "DESIRED_CONFIG", "ENABLED", "ERRORS", "LAST SESSION"],
    components.map((c) => [
      c.id,
      c.configuration_status,
      c.desired_config || "-",
      String(c.enabled),
      `${c.error_count}/${c.retry_policy === -1 ? "∞" : c.retry_policy}`,
      lastSession(c) ?? "-",
    ]),
  );
}

function lastSession(component: ComponentRecord): string | null {
  const latest = [...component.state].sort((a, b) => (a.last_updated < b.last_updated ? -1 : 1)).at(-1);
  return latest?.session_name ?? null;
}

function registerDescribe(components: Command, io: CliIo): void {
  addRepoOptions(
    components
      .command("describe <id>")
      .description("show one component, in the shape of `cray cfs v3 components describe`")
      .option(
        "--format <format>",
        "json, yaml, or table (the record and the sessions that touched it)",
        "json",
      )
      .option("-o, --output <format>", "the same as --format (as kubectl spells it)"),
  ).action(async (id: string, flags: GlobalFlags & { format: string; output?: string }) => {
    const format = parseFormatOf(flags.output ?? flags.format, ["table", "json", "yaml"] as const);
    await loadComponents(flags, io, ({ components: all, sessions }) => {
      const component = all.find((c) => c.id === id);
      if (!component) throw new CliError(`Component ${id} could not be found`);
      if (format !== "table") {
        io.stdout.write(renderData(component, format));
        return;
      }
      io.stdout.write(componentTable([component]));
      io.stdout.write("\nLAYERS\n");
      io.stdout.write(layerTable(component));
      io.stdout.write("\nSESSIONS\n");
      io.stdout.write(sessionsOfComponent(component, sessions));
    });
  });
}

function layerTable(component: ComponentRecord): string {
  return renderTable(
    ["#", "CLONE_URL", "PLAYBOOK", "COMMIT", "STATUS"],
    component.desired_state.map((layer, index) => [
      String(index),
      layer.clone_url,
      layer.playbook,
      layer.commit.slice(0, 12),
      layer.status,
    ]),
  );
}

/** The sessions that touched the component: named in its state, or whose limit lists it (newest first). */
function sessionsOfComponent(component: ComponentRecord, sessions: readonly SessionRecord[]): string {
  const named = new Set(component.state.map((entry) => entry.session_name));
  const touching = sessions.filter(
    (s) => named.has(s.name) || splitList(s.ansible.limit ?? "").includes(component.id),
  );
  touching.sort((a, b) =>
    (a.status.session.start_time ?? "") < (b.status.session.start_time ?? "") ? 1 : -1,
  );
  return renderTable(
    ["NAME", "STATUS", "SUCCEEDED", "START", "CONFIGURATION"],
    touching
      .slice(0, 10)
      .map((s) => [
        s.name,
        s.status.session.status,
        s.status.session.succeeded,
        s.status.session.start_time ?? "-",
        s.configuration.name,
      ]),
  );
}

type UpdateFlags = WriteFlags & {
  ids?: string;
  desiredConfig?: string;
  enabled?: string;
  retryPolicy?: string;
  tags?: string;
  reconfigure?: boolean;
};

function registerUpdate(components: Command, io: CliIo): void {
  addRepoOptions(
    components
      .command("update [id]")
      .description("change components: one commit editing components/<id>.yaml of each")
      .option("--ids <id,...>", "update these components (in one commit)")
      .option("--desired-config <name>", "the configuration the components should have (empty: none)")
      .option("--enabled <bool>", "true or false: whether the batcher configures them")
      .option("--retry-policy <n>", "failed attempts before a component is failed (-1: no limit)")
      .option("--tags <k=v,...>", "set tags (an empty value removes the tag, as CFS)")
      .option("--reconfigure", "raise the reconfigure counter: configure again even if the state matches")
      .option("-m, --message <subject>", "commit subject (default: says what the command does)"),
    { write: true },
  )
    .addHelpText(
      "after",
      `
Each change is checked with the controller's own rules before it is committed; --branch makes a
pull-request branch instead. --reconfigure is the Git form of CFS's "update --state '[]'": the
controller clears the recorded state and error_count, and the batcher runs every layer again.

Examples:
  cfs-gitops components update --ids x1000c0s0b0n0,x1000c0s0b0n1 --desired-config site-2
  cfs-gitops components update x1000c0s0b0n0 --enabled false
  cfs-gitops components update x1000c0s0b0n0 --reconfigure`,
    )
    .action(async (id: string | undefined, flags: UpdateFlags) => {
      const ids = idsOf(id, flags.ids);
      const edit = editOf(flags);
      await withWriteRepo(flags, io, (context) =>
        updateComponents(context, { ids, edit, via: "cfs-gitops components update" }),
      );
    });
}

/** What `components update` (and the API's PATCH) changes in each component's manifest. */
export interface ComponentEdit {
  desiredConfig?: string;
  enabled?: boolean;
  retryPolicy?: number;
  /** Tags to set; an empty value removes the tag, as CFS. */
  tags?: ReadonlyArray<readonly [string, string]>;
  reconfigure?: boolean;
}

/**
 * Edits the manifests of `ids` in one commit, checked with the controller's rules first (an
 * unknown desired_config is refused); `via` says in the commit body how the change came.
 */
export async function updateComponents(
  context: WriteContext,
  input: { ids: readonly string[]; edit: ComponentEdit; via: string },
): Promise<void> {
  const { ids, edit, via } = input;
  const tree = await readBase(context);
  const changes = new Map<string, Buffer | null>();
  for (const each of ids) {
    const path = componentPath(tree, each);
    changes.set(path, Buffer.from(applyComponentEdit(edit, tree.texts.get(path) ?? "")));
  }
  const check = (next: ManifestTree): void => assertValid(next, [...changes.keys()]);
  check(await readBase(context, changes));
  await commitChange(context, {
    changes,
    subject: `Update component${ids.length === 1 ? "" : "s"} ${summarizeIds(ids)}`,
    body: `${describeEdit(edit)}\n\nUpdated with: ${via}`,
    check,
  });
}

/** One component's own edit, as a PATCH of a list of component records gives it. */
export interface ComponentEditOf {
  id: string;
  edit: ComponentEdit;
}

/**
 * Edits each listed component with its own edit, all in one commit (CFS's PATCH of a list of
 * components): every id must have a manifest, else nothing is written; edits of one id apply in
 * order; a record that changes nothing is only checked to exist (no commit when none changes). Checked with the controller's rules first; `via` says in the commit body how it came.
 */
export async function updateEachComponent(
  context: WriteContext,
  input: { edits: readonly ComponentEditOf[]; via: string },
): Promise<void> {
  const tree = await readBase(context);
  const changes = new Map<string, Buffer | null>();
  for (const { id, edit } of input.edits) {
    const path = componentPath(tree, id);
    if (describeEdit(edit) === "") continue;
    const text = changes.get(path)?.toString("utf8") ?? tree.texts.get(path) ?? "";
    changes.set(path, Buffer.from(applyComponentEdit(edit, text)));
  }
  if (changes.size === 0) return;
  const check = (next: ManifestTree): void => assertValid(next, [...changes.keys()]);
  check(await readBase(context, changes));
  const ids = [...new Set(input.edits.map((each) => each.id))];
  const lines = input.edits.map(({ id, edit }) => `${id}: ${describeEdit(edit) || "no change"}`);
  await commitChange(context, {
    changes,
    subject: `Update component${ids.length === 1 ? "" : "s"} ${summarizeIds(ids)}`,
    body: `${lines.join("\n")}\n\nUpdated with: ${input.via}`,
    check,
  });
}

function idsOf(id: string | undefined, ids: string | undefined): string[] {
  const all = [...(id === undefined ? [] : [id]), ...splitList(ids ?? "")];
  if (all.length === 0) throw new CliError("give a component id or --ids", 2);
  return [...new Set(all)];
}

function summarizeIds(ids: readonly string[]): string {
  return ids.length <= 3 ? ids.join(", ") : `${ids.slice(0, 3).join(", ")} and ${ids.length - 3} more`;
}

function describeEdit(edit: ComponentEdit): string {
  const parts: string[] = [];
  if (edit.desiredConfig !== undefined) parts.push(`desired_config: ${edit.desiredConfig || "(none)"}`);
  if (edit.enabled !== undefined) parts.push(`enabled: ${edit.enabled}`);
  if (edit.retryPolicy !== undefined) parts.push(`retry_policy: ${edit.retryPolicy}`);
  if (edit.tags !== undefined && edit.tags.length > 0)
    parts.push(`tags: ${edit.tags.map(([key, value]) => `${key}=${value}`).join(",")}`);
  if (edit.reconfigure) parts.push("reconfigure");
  return parts.join(", ");
}

/**
 * CFS's PUT over Git: creates the manifest of `id`, or replaces the fields CFS's component has
 * (desired_config, enabled, retry_policy, tags: absent ones go back to their defaults), keeping the
 * manifest's own (groups, role, sub_role, reconfigure) and its comments. Checked with the
 * controller's rules first; answers whether the component existed.
 */
export async function replaceComponent(
  context: WriteContext,
  input: { id: string; edit: ComponentEdit; via: string },
): Promise<boolean> {
  const { id, edit, via } = input;
  const tree = await readBase(context);
  const { path, existing, text } = replaced({ tree, id, edit, changes: new Map() });
  const changes = new Map<string, Buffer | null>([[path, Buffer.from(text)]]);
  const check = (next: ManifestTree): void => assertValid(next, [path]);
  check(await readBase(context, changes));
  await commitChange(context, {
    changes,
    subject: `${existing ? "Replace" : "Add"} component ${id}`,
    body: `${describeEdit(edit) || "defaults"}\n\n${existing ? "Replaced" : "Added"} with: ${via}`,
    check,
  });
  return existing;
}

/**
 * CFS's PUT of a list of components over Git: each record creates or replaces its component as
 * `replaceComponent` does, all in one commit (records of one id apply in order). Answers nothing;
 * the commit names each id and whether it was added or replaced.
 */
export async function replaceEachComponent(
  context: WriteContext,
  input: { edits: readonly ComponentEditOf[]; via: string },
): Promise<void> {
  const tree = await readBase(context);
  const changes = new Map<string, Buffer | null>();
  const lines: string[] = [];
  for (const { id, edit } of input.edits) {
    const { path, existing, text } = replaced({ tree, id, edit, changes });
    changes.set(path, Buffer.from(text));
    lines.push(`${id}: ${existing ? "replaced" : "added"}, ${describeEdit(edit) || "defaults"}`);
  }
  if (changes.size === 0) return;
  const check = (next: ManifestTree): void => assertValid(next, [...changes.keys()]);
  check(await readBase(context, changes));
  const ids = [...new Set(input.edits.map((each) => each.id))];
  await commitChange(context, {
    changes,
    subject: `Replace component${ids.length === 1 ? "" : "s"} ${summarizeIds(ids)}`,
    body: `${lines.join("\n")}\n\nReplaced with: ${input.via}`,
    check,
  });
}

/** The manifest of `id` after a PUT: its path, whether it existed, its new text. */
function replaced(input: {
  tree: ManifestTree;
  id: string;
  edit: ComponentEdit;
  /** Changes made earlier in the same commit, seen before the branch's files. */
  changes: ReadonlyMap<string, Buffer | null>;
}): { path: string; existing: boolean; text: string } {
  const { tree, id, edit, changes } = input;
  const paths = manifestPathsOf("Component", id);
  const path = paths.find((p) => changes.has(p)) ?? paths.find((p) => tree.blobs.has(p));
  const current =
    path === undefined ? undefined : (changes.get(path)?.toString("utf8") ?? tree.texts.get(path));
  const base =
    current === undefined
      ? `apiVersion: cfs-gitops/v1\nkind: Component\nid: ${JSON.stringify(id)}\n`
      : withoutCfsFields(current);
  return {
    path: path ?? `components/${id}.yaml`,
    existing: path !== undefined && tree.blobs.has(path),
    text: applyComponentEdit(edit, base),
  };
}

/** A manifest's text without the fields a PUT replaces. */
function withoutCfsFields(text: string): string {
  const doc = yaml().parseDocument(text);
  for (const key of ["desired_config", "enabled", "retry_policy", "tags"]) doc.delete(key);
  return doc.toString();
}

/** The edit the flags ask for; none at all is a usage error. */
function editOf(flags: UpdateFlags): ComponentEdit {
  const edit: ComponentEdit = {
    ...(flags.desiredConfig === undefined ? {} : { desiredConfig: flags.desiredConfig }),
    ...(flags.enabled === undefined ? {} : { enabled: parseBoolean("--enabled", flags.enabled) }),
    ...(flags.retryPolicy === undefined ? {} : { retryPolicy: parseRetry(flags.retryPolicy) }),
    ...(flags.tags === undefined ? {} : { tags: parseTags(flags.tags) }),
    ...(flags.reconfigure ? { reconfigure: true } : {}),
  };
  if (describeEdit(edit) === "")
    throw new CliError(
      "nothing to update: give --desired-config, --enabled, --retry-policy, --tags or --reconfigure",
      2,
    );
  return edit;
}

/** A component manifest's text with the edit applied (comments and other fields kept). */
export function applyComponentEdit(edit: ComponentEdit, text: string): string {
  const doc = yaml().parseDocument(text);
  if (edit.desiredConfig !== undefined) doc.set("desired_config", edit.desiredConfig);
  if (edit.enabled !== undefined) doc.set("enabled", edit.enabled);
  if (edit.retryPolicy !== undefined) doc.set("retry_policy", edit.retryPolicy);
  for (const [key, value] of edit.tags ?? []) {
    if (value === "") {
      if (doc.hasIn(["tags", key])) doc.deleteIn(["tags", key]);
    } else doc.setIn(["tags", key], value);
  }
  if (edit.reconfigure) {
    const current = doc.get("reconfigure");
    doc.set("reconfigure", typeof current === "number" ? current + 1 : 1);
  }
  return doc.toString();
}

function parseRetry(text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < -1)
    throw new CliError(`--retry-policy ${text}: an integer, -1 or more`, 2);
  return value;
}

/** A component that has no manifest on the branch (the API answers 404). */
export class ComponentNotFoundError extends CliError {}

/** The path of a component's manifest on the branch; CFS's "could not be found" when it has none. */
function componentPath(tree: ManifestTree, id: string): string {
  const path = manifestPathsOf("Component", id).find((p) => tree.blobs.has(p));
  if (!path) throw new ComponentNotFoundError(`Component ${id} could not be found`);
  return path;
}

/** Every changed file must pass the controller's checks. */
function assertValid(tree: ManifestTree, paths: readonly string[]): void {
  const lines = paths.flatMap((path) =>
    (tree.desired.problems.get(path)?.errors ?? []).map((error) => formatManifestError(path, error)),
  );
  if (lines.length > 0) throw new CliError(`the change would be invalid: ${lines.join("; ")}`, 2);
}

function registerDelete(components: Command, io: CliIo): void {
  addRepoOptions(
    components
      .command("delete [id]")
      .description("delete components: one commit removing components/<id>.yaml of each")
      .option("--ids <id,...>", "delete these components (in one commit)")
      .option("-m, --message <subject>", "commit subject (default: says what the command does)"),
    { write: true },
  ).action(async (id: string | undefined, flags: WriteFlags & { ids?: string }) => {
    const ids = idsOf(id, flags.ids);
    await withWriteRepo(flags, io, (context) =>
      deleteComponents(context, { ids, via: "cfs-gitops components delete" }),
    );
  });
}

/** Removes the manifests of `ids` in one commit; `via` says in the commit body how the change came. */
export async function deleteComponents(
  context: WriteContext,
  input: { ids: readonly string[]; via: string },
): Promise<void> {
  const { ids, via } = input;
  const tree = await readBase(context);
  const changes = new Map<string, Buffer | null>(ids.map((each) => [componentPath(tree, each), null]));
  await commitChange(context, {
    changes,
    subject: `Delete component${ids.length === 1 ? "" : "s"} ${summarizeIds(ids)}`,
    body: `Deleted with: ${via}`,
  });
}
