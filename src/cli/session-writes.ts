/**
 * What `sessions create|delete|deleteall` do (their options are in commands/sessions-write.ts):
 * each is one commit on the watched branch (or on a new branch for a pull request), checked first
 * with the controller's own parser, schemas and cross-file rules.
 */
import { jobName, type SessionManifest, type SessionRecord } from "../api/index.js";
import { hashBlob } from "../git/fast-import.js";
import { formatManifestError } from "../manifest/format-manifest-error.js";
import { newSessionRecord } from "../plan/records.js";
import { parseDuration } from "../plan/duration.js";
import { askYesNo } from "./confirm.js";
import { CliError } from "./errors.js";
import type { CliIo } from "./io.js";
import { parseFormatOf, renderData, sessionTable } from "./output.js";
import {
  configurationProblem,
  manifestPathsOf,
  PROPOSED_BLOB,
  sessionManifestPaths,
  type ManifestTree,
} from "./repo-tree.js";
import { matchesSessionFilter, parseSessionFilter, type SessionFilterFlags } from "./session-filters.js";
import {
  manifestYaml,
  sessionManifestFromFlags,
  sessionPairs,
  sessionPath,
  type SessionCreateFlags,
} from "./session-flags.js";
import { sessionsOf } from "./session-source.js";
import { StatusReader } from "./status-reader.js";
import { assertAnsibleConfigExists } from "./ansible-config-check.js";
import { commitChange, readBase, withWriteRepo, type WriteContext, type WriteFlags } from "./write-change.js";

/** The flags of `sessions create`. */
export type CreateFlags = WriteFlags &
  SessionCreateFlags & { wait?: boolean; timeout?: string; format?: string; pollInterval?: string };

/** The flags of `sessions deleteall`. */
export type DeleteAllFlags = WriteFlags & SessionFilterFlags & { yes?: boolean };

/** `sessions create`: the manifest from the flags, checked, committed (and waited for with --wait). */
export async function createSession(input: {
  flags: CreateFlags;
  argv: readonly string[];
  io: CliIo;
}): Promise<void> {
  const { flags, io } = input;
  const manifest = sessionManifestFromFlags(flags, sessionPairs(input.argv));
  const format = flags.format === undefined ? null : parseFormatOf(flags.format, ["json", "yaml"] as const);
  const wait = waitSettings(flags);
  const path = sessionPath(manifest.name);
  const text = manifestYaml(manifest);
  const changes = new Map([[path, Buffer.from(text)]]);
  await withWriteRepo(flags, io, async (context) => {
    if (wait && context.target !== context.watched) {
      throw new CliError(
        `--wait: a session on branch ${context.target} runs only once merged into ${context.watched}`,
        2,
      );
    }
    const reader = await StatusReader.open(context.status);
    if (reader.hasSession(manifest.name)) throw exists(manifest.name);
    const check = (tree: ManifestTree): void => assertCreatable({ tree, name: manifest.name, path });
    check(await readBase(context, changes));
    if (flags.ansibleConfigInCluster !== true)
      await assertAnsibleConfigExists({
        source: context.source,
        commit: context.base,
        name: flags.ansibleConfig,
      });
    const result = await commitChange(context, {
      changes,
      subject: `Add session ${manifest.name}`,
      body: `Configuration ${manifest.configuration.name}, target ${manifest.target?.definition ?? "dynamic"}.\nCreated with: cfs-gitops sessions create`,
      check,
    });
    const blob = hashBlob(Buffer.from(text));
    if (format !== null) {
      const record = newSessionRecord({
        session: manifest,
        source: { path, commit: result.commit, blob },
        job: jobName(manifest.name, blob),
        options: null,
      });
      io.stdout.write(renderData(record, format));
    } else if (!wait) {
      io.stdout.write(`${manifest.name}\n`);
    }
    if (wait) await waitAndReport({ context, name: manifest.name, path, ...wait });
  });
}

/** A session of that name exists already (the REST API answers 409). */
export class SessionExistsError extends CliError {}

/** CFS's answer to a name that is taken. */
function exists(name: string): CliError {
  return new SessionExistsError(`A session with the name ${name} already exists`);
}

/**
 * The new manifest must be the only one of its name and pass every check the controller makes
 * (SessionExistsError when the name is taken, CliError otherwise). Shared with the REST API.
 */
export function assertCreatable(input: { tree: ManifestTree; name: string; path: string }): void {
  const { tree, name, path } = input;
  const others = manifestPathsOf("Session", name).filter(
    (p) => tree.replaced.has(p) || (tree.blobs.has(p) && tree.blobs.get(p) !== PROPOSED_BLOB),
  );
  if (others.length > 0) throw exists(name);
  const problem = tree.desired.problems.get(path);
  if (!problem) return;
  if (problem.errors.some((error) => error.code === "unknown-configuration")) {
    throw unknownConfiguration(tree, sessionConfiguration(tree, path));
  }
  const lines = problem.errors.map((error) => formatManifestError(path, error));
  throw new CliError(`the session would be invalid: ${lines.join("; ")}`, 2);
}

/** CFS's wording when there is no such configuration; the file's own problem when it exists but is unusable. */
function unknownConfiguration(tree: ManifestTree, name: string): CliError {
  const problem = configurationProblem(tree, name);
  if (problem !== null) return new CliError(`configuration ${name} cannot be used: ${problem}`);
  return new CliError(`No configurations exist named ${name}`);
}

function sessionConfiguration(tree: ManifestTree, path: string): string {
  const file = tree.files.find((f) => f.path === path);
  if (!file?.parsed.ok || file.parsed.kind !== "Session") return "";
  return (file.parsed.manifest as SessionManifest).configuration.name;
}

interface WaitSettings {
  intervalMs: number;
  timeoutMs: number | null;
}

function waitSettings(flags: CreateFlags): WaitSettings | null {
  if (!flags.wait) return null;
  const interval = parseDuration(flags.pollInterval ?? "2s");
  if (interval === null || interval <= 0)
    throw new CliError(`--poll-interval ${flags.pollInterval}: not a duration (e.g. 2s)`, 2);
  const timeout = flags.timeout === undefined ? null : parseDuration(flags.timeout);
  if (flags.timeout !== undefined && timeout === null)
    throw new CliError(`--timeout ${flags.timeout}: not a duration (e.g. 30m)`, 2);
  return { intervalMs: interval, timeoutMs: timeout };
}

async function waitAndReport(
  input: { context: WriteContext; name: string; path: string } & WaitSettings,
): Promise<void> {
  const { context, name } = input;
  // wait.js loads the local runner's modules (for live step logs): only when a wait runs.
  const { waitForSession } = await import("./wait.js");
  const record = await waitForSession({
    name,
    path: input.path,
    status: context.status,
    io: context.io,
    intervalMs: input.intervalMs,
    timeoutMs: input.timeoutMs,
    dataDir: context.config.dataDir,
  });
  const succeeded = record.status.session.succeeded;
  if (succeeded === "true") return;
  const reason = record.status.reason ? `: ${record.status.reason}` : "";
  throw new CliError(
    `session ${name} ${succeeded === "false" ? "failed" : `ended with succeeded=${succeeded}`}${reason}`,
  );
}

/** `sessions delete NAME`: one commit removing the session's manifest. */
export async function deleteSession(input: { name: string; flags: WriteFlags; io: CliIo }): Promise<void> {
  const { name, flags, io } = input;
  await withWriteRepo(flags, io, async (context) => {
    const tree = await readBase(context);
    const paths = sessionManifestPaths(tree, name);
    if (paths.length === 0) {
      const reader = await StatusReader.open(context.status);
      if (reader.hasSession(name) && context.target === context.watched) {
        throw new CliError(
          `Session ${name} has no manifest on ${context.watched} any more: the controller is deleting it`,
        );
      }
      throw new CliError(`Session ${name} could not be found`);
    }
    await commitChange(context, {
      changes: new Map(paths.map((path) => [path, null])),
      subject: `Delete session ${name}`,
      body: "Deleted with: cfs-gitops sessions delete",
    });
  });
}

/** `sessions deleteall`: one commit removing the manifests of every session the filters choose. */
export async function deleteSessions(input: { flags: DeleteAllFlags; io: CliIo }): Promise<void> {
  const { flags, io } = input;
  const filter = parseSessionFilter(flags, "complete");
  await withWriteRepo(flags, io, async (context) => {
    const reader = await StatusReader.open(context.status);
    const tree = await readBase(context);
    const now = io.now();
    const all = await sessionsOf(reader, tree.desired);
    const chosen = all.filter(
      (record) =>
        matchesSessionFilter(record, filter, now) && sessionManifestPaths(tree, record.name).length > 0,
    );
    if (chosen.length === 0) {
      io.stderr.write("no sessions match: nothing to delete\n");
      return;
    }
    io.stdout.write(sessionTable(chosen));
    if (!flags.yes && !(await confirmDelete(io, chosen))) throw new CliError("nothing deleted");
    await commitChange(context, {
      changes: new Map(
        chosen.flatMap((record) => sessionManifestPaths(tree, record.name)).map((path) => [path, null]),
      ),
      subject: `Delete ${chosen.length} session${chosen.length === 1 ? "" : "s"}`,
      body: `${chosen.map((record) => `- ${record.name}`).join("\n")}\n\nDeleted with: cfs-gitops sessions deleteall`,
    });
  });
}

/** On a terminal, ask; elsewhere (scripts, CI), go ahead as CFS does. */
async function confirmDelete(io: CliIo, chosen: readonly SessionRecord[]): Promise<boolean> {
  if (!io.stdin?.isTTY) return true;
  return askYesNo(io, `Delete these ${chosen.length} session${chosen.length === 1 ? "" : "s"}? [y/N] `);
}
