/** `cfs-gitops validate`: check manifests the way the controller will, for pre-commit hooks and CI. */
import { realpath } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { CliError } from "../errors.js";
import { processIo, type CliIo } from "../io.js";
import type { ManifestTree } from "../repo-tree.js";
import { formatFindings, repoPathOf, unusableInput, validateTree } from "../validate-files.js";
import {
  exists,
  findConfigRoot,
  gitTopLevel,
  readCommit,
  readStaged,
  readWorkingTree,
} from "../validate-sources.js";

interface ValidateFlags {
  root?: string;
  staged?: boolean;
  against?: string;
}

/** Registers `validate`. */
export function registerValidate(program: Command, io: CliIo = processIo()): void {
  program
    .command("validate [paths...]")
    .description("validate manifests in a working tree; prints file:line:col: message, exits 1 on any error")
    .option("--root <dir>", "root of the configuration repository (default: found from the current folder)")
    .option("--staged", "check what is staged (the index: what git commit records), not the working tree")
    .option("--against <ref>", "also make the checks diff makes against this commit: edits of its sessions")
    .addHelpText(
      "after",
      `
Checks every manifest the controller reads (sessions/, configurations/, components/, cfs.yaml),
including checks across files (duplicate names, unknown configurations, layer limits); with paths
(relative to the current folder, or absolute), reports only on those files or folders. The
repository is the nearest folder at or above the current one that holds sessions/,
configurations/, components/ or cfs.yaml. Exits 1 when a manifest has an error, and 2 (checking
nothing) when that is not a configuration repository, a path does not exist, lies outside it or
holds no manifest, or --staged/--against is used outside a git repository.

Examples:
  cfs-gitops validate
  cfs-gitops validate sessions/new-session.yaml
  cfs-gitops validate --against origin/main      # sessions are immutable: an edit of one is an error
  printf '#!/bin/sh\\nexec cfs-gitops validate --staged\\n' > .git/hooks/pre-commit
  chmod +x .git/hooks/pre-commit                 # check exactly what each commit records`,
    )
    .action(async (paths: string[], flags: ValidateFlags) => {
      const cwd = await realpath(io.cwd).catch(() => io.cwd);
      const root = flags.root === undefined ? await findConfigRoot(cwd) : resolve(cwd, flags.root);
      const unusable = await unusableInput({ root, cwd, paths, given: flags.root !== undefined });
      if (unusable !== null) throw new CliError(unusable, 2);
      const git = flags.staged === true || flags.against !== undefined;
      if (git && (await gitTopLevel(root)) === null)
        throw new CliError(`${root} is not in a git repository (--staged and --against read git)`, 2);
      const tree = flags.staged ? await readStaged({ root }) : await readWorkingTree(root);
      const only = paths.map((path) => repoPathOf({ root, cwd, path }));
      await assertPathsExist({ tree, paths, only, root, cwd });
      const against = flags.against === undefined ? undefined : await readCommit({ root }, flags.against);
      const { findings, files } = validateTree({ tree, only, ...(against ? { against } : {}) });
      io.stdout.write(formatFindings(findings));
      report({
        io,
        findings: findings.length,
        files,
        paths,
        failing: new Set(findings.map((f) => f.path)).size,
      });
    });
}

/** Each path must name something: in the working tree, or (with --staged) in the index. */
async function assertPathsExist(input: {
  tree: ManifestTree;
  paths: string[];
  only: string[];
  root: string;
  cwd: string;
}): Promise<void> {
  const known = [...input.tree.blobs.keys()];
  for (const [i, path] of input.paths.entries()) {
    const wanted = input.only[i] ?? "";
    const inTree = known.some((p) => wanted === "" || p === wanted || p.startsWith(`${wanted}/`));
    if (!inTree && !(await exists(resolve(input.cwd, path))))
      throw new CliError(`${path}: no such file or directory`, 2);
  }
}

function report(input: {
  io: CliIo;
  findings: number;
  files: number;
  failing: number;
  paths: string[];
}): void {
  const { io, findings, files, paths } = input;
  if (findings > 0) {
    throw new CliError(
      `${findings} error${findings === 1 ? "" : "s"} in ${input.failing} of ${files} file${files === 1 ? "" : "s"}`,
    );
  }
  if (files === 0 && paths.length > 0) {
    throw new CliError(
      `nothing checked: ${paths.join(" ")} holds no manifest (sessions/*.yaml, configurations/*.yaml, components/*.yaml, cfs.yaml)`,
      2,
    );
  }
  if (files === 0) {
    io.stderr.write("no manifests yet: nothing to check\n");
    return;
  }
  io.stderr.write(`${files} file${files === 1 ? "" : "s"} valid\n`);
}
