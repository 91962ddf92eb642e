/**
 * Bundles the built CLI (issue 14: start-up under 150 ms). `tsc` leaves about 250 modules in
 * dist/; Node 20 resolves, reads and compiles each one a command imports, which costs more than
 * the command's own work. esbuild joins them into `dist/src/cli/main.js` (replacing tsc's entry,
 * so every path that runs the CLI is unchanged) and a few chunks in `dist/src/cli/chunks/`: the
 * lazy `import()` of each command (command-table.ts) stays a chunk of its own, so a command still
 * loads only its code. npm packages stay outside (node_modules, loaded as before). The metafile
 * (`chunks/meta.json`) says which source module is in which chunk; test/e2e/cli-module-loading
 * reads it. Runs after `tsc` (`npm run build`).
 */
import { build } from "esbuild";
import { rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const cliDir = join(root, "dist", "src", "cli");
const chunksDir = join(cliDir, "chunks");

await rm(chunksDir, { recursive: true, force: true }); // the chunks of an older build
const result = await build({
  absWorkingDir: root,
  entryPoints: { main: join(cliDir, "main.js") },
  outdir: cliDir,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  packages: "external",
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
});
await writeFile(join(chunksDir, "meta.json"), JSON.stringify(result.metafile));
