/**
 * The top-level commands, each loaded only when it runs: `cfs-gitops sessions list` loads the
 * sessions commands and what they use, never the controller, the Kubernetes client or the REST
 * API. `--version` and `--help` load none. The terms and descriptions here are what the top-level
 * help lists; a unit test keeps them equal to the commands' own.
 */
import type { Command } from "commander";
import type { CliIo } from "./io.js";

/** Registers one top-level command (and its subcommands) on the program. */
export type RegisterCommand = (program: Command, io: CliIo) => void;

/** A top-level command: how the help lists it, and how to load it. */
export interface LazyCommand {
  name: string;
  /** As the top-level help lists it: `diff [options] [range]`. */
  term: string;
  description: string;
  load(): Promise<RegisterCommand>;
}

/** Every top-level command, in the order the help lists them. */
export const COMMANDS: readonly LazyCommand[] = [
  {
    name: "controller",
    term: "controller [options]",
    description: "watch the configuration repository, run its sessions and commit their status",
    load: async () => (await import("./commands/controller.js")).registerController,
  },
  {
    name: "validate",
    term: "validate [options] [paths...]",
    description: "validate manifests in a working tree; prints file:line:col: message, exits 1 on any error",
    load: async () => (await import("./commands/validate.js")).registerValidate,
  },
  {
    name: "sessions",
    term: "sessions",
    description: "CFS sessions over Git: create, list, describe, logs, history, delete, deleteall",
    load: async () => (await import("./commands/sessions.js")).registerSessions,
  },
  {
    name: "configurations",
    term: "configurations",
    description: "CFS configurations over Git: create, describe, list, update, delete",
    load: async () => (await import("./commands/configurations.js")).registerConfigurations,
  },
  {
    name: "sources",
    term: "sources",
    description: "CFS sources (sources/<name>.yaml) as the controller recorded them: list, describe",
    load: async () => (await import("./commands/sources.js")).registerSources,
  },
  {
    name: "components",
    term: "components",
    description: "CFS components over Git: list, describe, update, delete",
    load: async () => (await import("./commands/components.js")).registerComponents,
  },
  {
    name: "diff",
    term: "diff [options] [range]",
    description:
      "preview what the controller will do when a change merges (markdown for a PR review; exit 1 on problems)",
    load: async () => (await import("./commands/diff.js")).registerDiff,
  },
  {
    name: "pr-check",
    term: "pr-check [options]",
    description:
      "check a pull request: post the cfs-gitops/validate status and the preview comment (exit 1 on problems)",
    load: async () => (await import("./commands/pr-check.js")).registerPrCheck,
  },
  {
    name: "problems",
    term: "problems [options]",
    description: "list every manifest the controller cannot use, as file:line:col: message (exit 1 if any)",
    load: async () => (await import("./commands/problems.js")).registerProblems,
  },
  {
    name: "verify",
    term: "verify [options] [range]",
    description: "print each commit's signature verdict (exit 1 if any is neither verified nor approved)",
    load: async () => (await import("./commands/verify.js")).registerVerify,
  },
  {
    name: "images",
    term: "images",
    description: "the local image store: source images of image sessions, and the images they produce",
    load: async () => (await import("./commands/images.js")).registerImages,
  },
  {
    name: "demo",
    term: "demo [options]",
    description:
      "run the whole loop on this machine: a temporary config repository, real git and real Ansible",
    load: async () => (await import("./commands/demo.js")).registerDemo,
  },
  {
    name: "reconcile",
    term: "reconcile [options]",
    description: "make the controller running on this machine for the repository take a pass now",
    load: async () => (await import("./commands/reconcile.js")).registerReconcile,
  },
  {
    name: "step",
    term: "step [options] <name>",
    description:
      "run one step of a session inside its Kubernetes Job (the entrypoint of the Job's containers)",
    load: async () => (await import("./commands/step.js")).registerStep,
  },
  {
    name: "completion",
    term: "completion <shell>",
    description: "print a shell completion script: bash, zsh or fish",
    load: async () => (await import("./commands/completion.js")).registerCompletion,
  },
];

/**
 * The command a command line runs (`help NAME` included), or null for the program's own
 * `--version`, `--help`, nothing, or an unknown name (then commander answers, from the table).
 */
export function commandOf(argv: readonly string[]): LazyCommand | null {
  const words = argv.filter((arg) => !arg.startsWith("-"));
  const name = words[0] === "help" ? words[1] : words[0];
  return COMMANDS.find((command) => command.name === name) ?? null;
}
