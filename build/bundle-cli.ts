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
import { build, type BuildOptions, type Plugin } from "esbuild";
import { randomBytes } from "node:crypto";
import { readFile, rm, writeFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..", "..");
const cliDir = join(root, "dist", "src", "cli");
const chunksDir = join(cliDir, "chunks");
const quickFile = join(cliDir, "quick.js");

const manifest = JSON.parse(await readFile(join(root, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};
const external = Object.keys(manifest.dependencies)
  .filter((name) => name !== "commander")
  .flatMap((name) => [name, `${name}/*`]);
// One id for the whole build: caches stamped by one of its files are read by the others.
const buildId = `${Date.now().toString(36)}.${randomBytes(4).toString("hex")}`;
const common = {
  absWorkingDir: root,
  define: { __CFS_GITOPS_BUILD__: JSON.stringify(buildId) },
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external,
  // commander is CommonJS: bundled into an ES module, its require() of node: modules needs this.
  banner: {
    js: 'import { createRequire as __cfsCreateRequire } from "node:module"; const require = __cfsCreateRequire(import.meta.url);',
  },
  sourcemap: true,
  metafile: true,
  logLevel: "warning",
} satisfies BuildOptions;

await rm(chunksDir, { recursive: true, force: true }); // the chunks of an older build
const cli = await build({
  ...common,
  entryPoints: { main: join(cliDir, "main.js") },
  outdir: cliDir,
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  allowOverwrite: true,
  splitting: true,
  plugins: [quickApart()],
});
// quick.ts answers before anything else loads: one file, not the forty chunks its modules are
// shared in. What it imports only now and then (a list computed anew, the parser) stays outside,
// loaded from tsc's files when it is needed.
const quick = await build({
  ...common,
  entryPoints: [quickFile],
  outfile: quickFile,
  allowOverwrite: true,
  plugins: [dynamicImportsApart()],
});
const inputs = { ...cli.metafile.inputs, ...quick.metafile.inputs };
await writeFile(
  join(chunksDir, "meta.json"),
  JSON.stringify({ inputs, outputs: { ...cli.metafile.outputs, ...quick.metafile.outputs } }),
);

/** Leaves quick.js (next to main.js, which imports it) out of the bundle: it is built on its own. */
function quickApart(): Plugin {
  return {
    name: "quick-apart",
    setup(on) {
      on.onResolve({ filter: /^\.\/quick\.js$/ }, (args) =>
        resolve(args.resolveDir, args.path) === quickFile ? { path: args.path, external: true } : undefined,
      );
    },
  };
}

/**
 * Keeps the dynamic imports of the modules quick.ts loads as imports of tsc's files, by their
 * path from cliDir (quick.ts's own are bundled: they are what it runs).
 */
function dynamicImportsApart(): Plugin {
  return {
    name: "dynamic-imports-apart",
    setup(on) {
      on.onResolve({ filter: /^\./ }, (args) => {
        if (args.kind !== "dynamic-import" || args.importer === quickFile) return undefined;
        const path = relative(cliDir, resolve(args.resolveDir, args.path));
        return { path: path.startsWith(".") ? path : `./${path}`, external: true };
      });
    },
  };
}
