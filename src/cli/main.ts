#!/usr/bin/env node
/**
 * The `cfs-gitops` command. Only this small module loads before the command line is read:
 * `--version` answers from here, and runCli (run-cli.ts) loads what the command needs: a
 * cache's answer (quick.ts), else the parser and only the command that runs (program.ts,
 * command-table.ts). Tests run commands in-process through `runCli`.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { enableCompileCache } from "./compile-cache.js";
import { snapshotEnvironment } from "./environment.js";
import { runCli } from "./run-cli.js";
import { VERSION } from "./version.js";

function isEntryPoint(): boolean {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

/** `cfs-gitops --version` (or -V) and nothing else: the answer needs no module. */
function isVersionOnly(argv: readonly string[]): boolean {
  return argv.length === 1 && (argv[0] === "--version" || argv[0] === "-V");
}

async function main(argv: readonly string[]): Promise<number> {
  if (isVersionOnly(argv)) {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  enableCompileCache(); // before the command's modules load (see compile-cache.ts)
  snapshotEnvironment();
  // `cfs-gitops sessions list | head`: a reader that stops early ends the output quietly.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    process.exit(0);
  });
  return runCli(argv);
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
