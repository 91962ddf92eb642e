/**
 * `sessions create|delete|deleteall`: their options and help. Each is one commit on the watched
 * branch (or on a new branch for a pull request), checked first with the controller's own parser,
 * schemas and cross-file rules; that work (session-writes.ts) loads when one of them runs.
 */
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { addRepoOptions } from "../repo-options.js";
import type { CreateFlags, DeleteAllFlags } from "../session-writes.js";
import type { WriteFlags } from "../write-change.js";

/** Registers create, delete and deleteall under `sessions`. */
export function registerSessionWrites(sessions: Command, io: CliIo): void {
  registerCreate(sessions, io);
  registerDelete(sessions, io);
  registerDeleteAll(sessions, io);
}

/** Adds CFS's session filters (list and deleteall). */
export function addFilterOptions(command: Command): Command {
  return command
    .option("--status <status>", "pending, running or complete")
    .option("--succeeded <value>", "none (not complete yet), true, false or unknown")
    .option("--min-age <age>", "only sessions that started at least this long ago (e.g. 30m, 6h, 1d, 2w)")
    .option("--max-age <age>", "only sessions that started at most this long ago")
    .option("--tags <k=v,...>", "only sessions with all these tags")
    .option("--name-contains <text>", "only sessions whose name contains this text");
}

/** Adds the options of a command that commits. */
function addWriteOptions(command: Command): Command {
  return addRepoOptions(command, { write: true }).option(
    "-m, --message <subject>",
    "commit subject (default: says what the command does)",
  );
}

function registerCreate(sessions: Command, io: CliIo): void {
  addWriteOptions(
    sessions
      .command("create")
      .description("create a session: write sessions/<name>.yaml, commit and push it")
      .requiredOption("--name <name>", "session name: lowercase DNS subdomain, at most 45 characters")
      .requiredOption(
        "--configuration-name <name>",
        "the configuration to apply (configurations/<name>.yaml)",
      )
      .option("--configuration-limit <layers>", "comma list of layer names or indices to run")
      .option("--ansible-limit <hosts>", "ansible-playbook --limit")
      .option("--ansible-verbosity <0-4>", "ansible verbosity (1 = -v ... 4 = -vvvv)")
      .option(
        "--ansible-passthrough <args>",
        "extra ansible-playbook flags: -e, -f, --skip-tags, --start-at-task, -t",
      )
      .option("--ansible-config <name>", "ansible.cfg to use (default: the repository's default)")
      .option(
        "--ansible-config-in-cluster",
        "--ansible-config names a ConfigMap of the cluster (kubernetes runner), not checked against the repository",
      )
      .option("--target-definition <definition>", "dynamic (default), spec, repo or image")
      .option(
        "--target-group <name-and-members...>",
        "NAME MEMBER[,MEMBER...]: an inventory group (repeatable)",
      )
      .option(
        "--target-image-map <source-and-result...>",
        "SOURCE_ID RESULT_NAME: name of an image's result (repeatable)",
      )
      .option("--tags <k=v,...>", "tags, e.g. requested_by=jane,ticket=OPS-12")
      .option("--debug-on-failure", "keep a failed Ansible step around for debug_wait_time seconds")
      .option("--wait", "follow the session until it completes; exit 1 if it did not succeed")
      .option("--timeout <duration>", "with --wait: give up after this long (e.g. 30m)")
      .option("--poll-interval <duration>", "with --wait: how often to read the status branch", "2s")
      .option("--format <format>", "print the created (pending) session record as json or yaml"),
  )
    .addHelpText(
      "after",
      `
Refused, with nothing written, when a session of that name exists or the manifest would be
invalid (the controller's own checks). A push rejected because the branch moved is rebased and
retried; if the same file changed upstream, it stops and says so.

Examples:
  cfs-gitops sessions create --name nodes-0427 --configuration-name site \\
      --target-definition spec --target-group Compute x1000c0s0b0n0,x1000c0s0b0n1 --wait
  cfs-gitops sessions create --name img-0427 --configuration-name image-cfg \\
      --target-definition image --target-group Application 902b4a80-3ac2-40d5-b65e-86ac3e12f209 \\
      --target-image-map 902b4a80-3ac2-40d5-b65e-86ac3e12f209 app-0427 --branch add-img-0427`,
    )
    .action(async (flags: CreateFlags, command: Command) => {
      const { createSession } = await import("../session-writes.js");
      await createSession({ flags, argv: rootArgs(command), io });
    });
}

function rootArgs(command: Command): readonly string[] {
  let root = command;
  while (root.parent) root = root.parent;
  return (root as Command & { rawArgs?: string[] }).rawArgs ?? [];
}

function registerDelete(sessions: Command, io: CliIo): void {
  addWriteOptions(
    sessions
      .command("delete <name>")
      .description(
        "delete a session: commit the removal of its manifest (the controller cancels and cleans up)",
      )
      .addHelpText(
        "after",
        `
Example:
  cfs-gitops sessions delete example-session
  cfs-gitops sessions delete example-session --branch remove-example   # as a pull request`,
      ),
  ).action(async (name: string, flags: WriteFlags) => {
    const { deleteSession } = await import("../session-writes.js");
    await deleteSession({ name, flags, io });
  });
}

function registerDeleteAll(sessions: Command, io: CliIo): void {
  addWriteOptions(
    addFilterOptions(
      sessions
        .command("deleteall")
        .description("delete every session matching the filters (completed ones by default, as CFS)")
        .option("-y, --yes", "do not ask for confirmation on a terminal"),
    ),
  )
    .addHelpText(
      "after",
      `
Without --status only complete sessions are deleted, as CFS does; --status "" means any status.
Shows what it will delete, and on a terminal asks first. One commit removes every manifest.

Examples:
  cfs-gitops sessions deleteall --min-age 7d
  cfs-gitops sessions deleteall --succeeded false --tags bos_session=abc --yes`,
    )
    .action(async (flags: DeleteAllFlags) => {
      const { deleteSessions } = await import("../session-writes.js");
      await deleteSessions({ flags, io });
    });
}
