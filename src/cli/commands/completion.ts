/**
 * `cfs-gitops completion bash|zsh|fish`: shell completion of commands, subcommands and options,
 * written from the command tree itself (so it never drifts from what the CLI accepts), as kubectl,
 * flux and argocd offer it.
 */
import { Command } from "commander";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";

/** One command of the tree: its path of names, subcommand names and long options. */
interface Node {
  path: string[];
  children: string[];
  options: string[];
}

/** Registers `completion`. */
export function registerCompletion(program: Command, io: CliIo = processIo()): void {
  program
    .command("completion <shell>")
    .description("print a shell completion script: bash, zsh or fish")
    .addHelpText(
      "after",
      `
Examples:
  source <(cfs-gitops completion bash)                       # this shell; add it to ~/.bashrc to keep it
  cfs-gitops completion zsh > "\${fpath[1]}/_cfs-gitops"
  cfs-gitops completion fish > ~/.config/fish/completions/cfs-gitops.fish`,
    )
    .action(async (shell: string) => {
      const nodes = walk(await everyCommand(program, io), []);
      if (shell === "bash") io.stdout.write(bashScript(nodes));
      else if (shell === "zsh") io.stdout.write(zshScript(nodes));
      else if (shell === "fish") io.stdout.write(fishScript(nodes));
      else throw new CliError(`completion ${shell}: use bash, zsh or fish`, 2);
    });
}

/**
 * The whole command tree: the program loads only the command that runs (command-table.ts), so
 * completion builds a program of its own with every command loaded.
 */
async function everyCommand(program: Command, io: CliIo): Promise<Command> {
  const { COMMANDS } = await import("../command-table.js");
  const full = new Command(program.name());
  for (const option of program.options) full.addOption(option);
  for (const command of COMMANDS) (await command.load())(full, io);
  return full;
}

function walk(command: Command, path: string[]): Node[] {
  const children = command.commands.filter((c) => !(c as Command & { _hidden?: boolean })._hidden);
  const options = command.options.map((o) => o.long).filter((o): o is string => o !== undefined);
  const node: Node = { path, children: children.map((c) => c.name()), options: [...options, "--help"] };
  return [node, ...children.flatMap((child) => walk(child, [...path, child.name()]))];
}

/** The bash function: the words typed that name commands pick the node; its children and options are offered. */
function bashScript(nodes: Node[]): string {
  const cases = nodes
    .map(
      (node) => `    "${node.path.join(" ")}") words="${[...node.children, ...node.options].join(" ")}" ;;`,
    )
    .join("\n");
  const known = nodes
    .filter((node) => node.children.length > 0)
    .map((node) => `    "${node.path.join(" ")}") children=" ${node.children.join(" ")} " ;;`)
    .join("\n");
  return `# cfs-gitops completion for bash: source <(cfs-gitops completion bash)
_cfs_gitops_words() {
  case "$1" in
${cases}
    *) words="" ;;
  esac
}
_cfs_gitops_children() {
  case "$1" in
${known}
    *) children="" ;;
  esac
}
_cfs_gitops() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" words="" children="" word i
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    _cfs_gitops_children "$path"
    if [[ "$children" == *" $word "* ]]; then path="\${path:+$path }$word"; fi
  done
  _cfs_gitops_words "$path"
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -o default -F _cfs_gitops cfs-gitops
`;
}

/** zsh runs the bash function through bashcompinit. */
function zshScript(nodes: Node[]): string {
  return `#compdef cfs-gitops
# cfs-gitops completion for zsh
autoload -U +X bashcompinit && bashcompinit
${bashScript(nodes).replace(/^# .*\n/, "")}`;
}

/** fish: one `complete` line per subcommand and option, conditioned on the command typed so far. */
function fishScript(nodes: Node[]): string {
  const lines = ["# cfs-gitops completion for fish", "complete -c cfs-gitops -f"];
  for (const node of nodes) {
    const condition = fishCondition(node);
    for (const child of node.children) lines.push(`complete -c cfs-gitops -n '${condition}' -a ${child}`);
    for (const option of node.options)
      lines.push(`complete -c cfs-gitops -n '${condition}' -l ${option.replace(/^--/, "")}`);
  }
  return `${lines.join("\n")}\n`;
}

function fishCondition(node: Node): string {
  if (node.path.length === 0) return "__fish_use_subcommand";
  const seen = node.path.map((name) => `__fish_seen_subcommand_from ${name}`).join("; and ");
  const deeper =
    node.children.length > 0 ? `; and not __fish_seen_subcommand_from ${node.children.join(" ")}` : "";
  return `${seen}${deeper}`;
}
