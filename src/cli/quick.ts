/**
 * The commands people type most, in their plainest form, answered before the command line parser
 * and every command's options load (issue 14: start-up under 150 ms) on a local bare repository
 * (a clone or a URL fetches first: the CLI proper does that):
 *
 * - `sessions list`: the kept table, when the ref files say the branches have not moved since the
 *   last list (session-list-cache.ts); no git process starts.
 * - `sessions describe NAME [-o json|yaml]`: as the command does (describe-session.ts).
 *
 * Both with the repository options (--repo, --branch, --status-branch, --data-dir) and nothing else.
 *
 * A quick path answers only when it is sure to print what the command would, and prints only
 * once it has the whole answer: for anything else (other flags, colours on a terminal, no kept
 * table, an error of any kind) it prints nothing and the CLI runs the command as always, errors
 * and all. CFS_GITOPS_QUICK=off turns it off (to compare the two).
 */
import type { CliIo, CliOutput } from "./io.js";
import { colourOn, DESCRIBE_OUTPUTS, parseOutput, type OutputFlags } from "./output-flags.js";
import { resolveCliRepoConfig } from "./repo-config.js";
import type { RepoFlags } from "./repo-settings.js";
import { plainBareGitDir } from "../git/plain-repository.js";
import type { keptTableAtRefs } from "./session-list-cache.js";

/** A command line a quick path may answer. */
type Quick =
  { verb: "list"; flags: RepoFlags } | { verb: "describe"; name: string; flags: RepoFlags & OutputFlags };

/** The repository options a quick path takes, by the name commander gives them. */
const REPO_OPTIONS: Readonly<Record<string, keyof RepoFlags>> = {
  "--repo": "repo",
  "--branch": "branch",
  "--status-branch": "statusBranch",
  "--data-dir": "dataDir",
};

/** Prints the answer of `argv` and returns true, or returns false having printed nothing. */
export async function answerQuickly(argv: readonly string[], io: CliIo): Promise<boolean> {
  if (io.env["CFS_GITOPS_QUICK"] === "off" || colourOn(io)) return false;
  const quick = quickCommand(argv);
  if (quick === null) return false;
  try {
    const config = resolveCliRepoConfig(quick.flags, io);
    const gitDir = config.kind === "local" ? plainBareGitDir(config.repo) : null;
    if (gitDir === null) return false;
    const out = { stdout: "", stderr: "" };
    const held: CliIo = {
      ...io,
      stdout: heldOutput(io.stdout, out, "stdout"),
      stderr: heldOutput(io.stderr, out, "stderr"),
    };
    const answered =
      quick.verb === "list" ? await list({ gitDir, config, io: held }) : await describe(quick, held);
    if (!answered) return false;
    io.stdout.write(out.stdout);
    if (out.stderr !== "") io.stderr.write(out.stderr);
    return true;
  } catch {
    return false; // the CLI proper says what is wrong
  }
}

async function list(context: Parameters<typeof keptTableAtRefs>[0]): Promise<boolean> {
  const [{ keptTableAtRefs }, { renderTableTemplate }] = await Promise.all([
    import("./session-list-cache.js"),
    import("./session-list.js"),
  ]);
  const template = await keptTableAtRefs(context);
  if (template === null) return false;
  context.io.stdout.write(renderTableTemplate(template, context.io.now()));
  return true;
}

async function describe(quick: Extract<Quick, { verb: "describe" }>, io: CliIo): Promise<boolean> {
  const output = parseOutput(quick.flags, DESCRIBE_OUTPUTS);
  const [{ withRepo }, { describeSession }] = await Promise.all([
    import("./repo-options.js"),
    import("./describe-session.js"),
  ]);
  await withRepo(quick.flags, (context) => describeSession({ context, name: quick.name, output, io }), io);
  return true;
}

/** Output kept until the answer is whole. */
function heldOutput(
  real: CliOutput,
  out: { stdout: string; stderr: string },
  which: "stdout" | "stderr",
): CliOutput {
  return {
    isTTY: real.isTTY ?? false,
    ...(real.columns === undefined ? {} : { columns: real.columns }),
    write: (text) => {
      out[which] += text;
    },
  };
}

/** The quick command `argv` is; null for any other command line. */
function quickCommand(argv: readonly string[]): Quick | null {
  const [command, verb, ...rest] = argv;
  if (command !== "sessions") return null;
  if (verb === "list") {
    const flags = quickFlags(rest, Object.keys(REPO_OPTIONS));
    return flags === null ? null : { verb, flags: repoFlags(flags) };
  }
  const [name, ...options] = rest;
  if (verb !== "describe" || name === undefined || name.startsWith("-")) return null;
  const flags = quickFlags(options, [...Object.keys(REPO_OPTIONS), "-o", "--output", "--format"]);
  return flags === null ? null : describeCommand(name, flags);
}

function describeCommand(name: string, flags: Record<string, string>): Quick | null {
  if (flags["-o"] !== undefined && flags["--output"] !== undefined) return null; // one option, twice
  const output = flags["-o"] ?? flags["--output"];
  const format = flags["--format"];
  return {
    verb: "describe",
    name,
    flags: {
      ...repoFlags(flags),
      ...(output === undefined ? {} : { output }),
      ...(format === undefined ? {} : { format }),
    },
  };
}

function repoFlags(flags: Record<string, string>): RepoFlags {
  const out: RepoFlags = {};
  for (const [option, key] of Object.entries(REPO_OPTIONS))
    if (flags[option] !== undefined) out[key] = flags[option];
  return out;
}

/** `--flag value` and `--flag=value` pairs, each flag once and among `allowed`; null otherwise. */
function quickFlags(args: readonly string[], allowed: readonly string[]): Record<string, string> | null {
  const flags: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? "";
    const equals = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const flag = equals < 0 ? arg : arg.slice(0, equals);
    const value = equals < 0 ? args[++i] : arg.slice(equals + 1);
    if (
      !allowed.includes(flag) ||
      flag in flags ||
      value === undefined ||
      value === "" ||
      value.startsWith("-")
    )
      return null;
    flags[flag] = value;
  }
  return flags;
}
