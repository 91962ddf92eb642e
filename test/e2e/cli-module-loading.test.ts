/**
 * What `sessions describe` and `sessions list` load at start (issue 14: start-up under 150 ms):
 * the built CLI runs in a real process with a hook that names every module loaded, ESM and
 * CommonJS, and every process started, on a real repository. The runners, the Kubernetes Jobs,
 * the planner's whole room, chokidar's watcher, yaml (nothing to parse or print as YAML) and pino
 * (while nothing is logged) stay unloaded. On a bare repository, a list whose branches did not
 * move and a describe are answered before the parser loads (quick.ts), and the list starts no
 * git process. The built CLI is bundled (build/bundle-cli.ts): a loaded chunk stands for the
 * source modules esbuild's metafile puts in it, so the check is on source modules either way.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve("dist/src/cli/main.js");
const META = resolve("dist/src/cli/chunks/meta.json");

/** esbuild's metafile: the source modules (paths from the project root) in each output file. */
interface Metafile {
  outputs: Record<string, { inputs: Record<string, unknown> }>;
}

/** A loaded url as the modules it stands for: a bundle output's inputs, else the file itself. */
function sourcesOf(url: string, meta: Metafile): string[] {
  if (!url.startsWith("file:")) return [url];
  const path = fileURLToPath(url);
  const output = meta.outputs[relative(process.cwd(), path)];
  return output ? Object.keys(output.inputs).map((input) => resolve(input)) : [path];
}

/** Prints `LOADED <url>` on stderr for every ESM module and every CommonJS file required. */
const HOOK = `
import { register, syncBuiltinESMExports } from "node:module";
import Module from "node:module";
import childProcess from "node:child_process";
const spawn = childProcess.spawn;
childProcess.spawn = function (command, args, ...rest) {
  process.stderr.write("SPAWNED " + command + " " + (args ?? []).join(" ") + "\\n");
  return spawn.call(this, command, args, ...rest);
};
syncBuiltinESMExports();
register("data:text/javascript," + encodeURIComponent(
  "export async function load(url, context, next) { process.stderr.write('LOADED ' + url + '\\\\n'); return next(url, context); }"
));
const original = Module.prototype.require;
Module.prototype.require = function (id) {
  const loaded = original.apply(this, arguments);
  process.stderr.write("LOADED " + Module._resolveFilename(id, this) + "\\n");
  return loaded;
};
`;

const NEVER = [
  "/node_modules/pino/",
  "/node_modules/chokidar/",
  "/node_modules/@kubernetes/",
  "/node_modules/isomorphic-git/",
  "/node_modules/ajv/",
  "/node_modules/yaml/",
  "/dist/src/runners/local/",
  "/dist/src/runners/kubernetes/create",
  "/dist/src/runners/steps/index.js",
  "/dist/src/jobs/index.js",
  "/dist/src/plan/index.js",
  "/dist/src/controller/controller.js",
];

let dir = "";

function git(...args: string[]): void {
  execFileSync("git", ["-C", dir, ...args], { stdio: "ignore" });
}

beforeAll(() => {
  if (!existsSync(CLI) || !existsSync(META))
    throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), "cfs-loading-"));
  git("init", "-q", "-b", "main");
  writeFileSync(join(dir, "README.md"), "config\n");
  git("add", "README.md");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedBy(
  args: readonly string[],
  repo = dir,
): { loaded: string[]; spawned: string[]; status: number | null; stdout: string } {
  const hook = `data:text/javascript,${encodeURIComponent(HOOK)}`;
  const run = spawnSync(process.execPath, ["--import", hook, CLI, ...args, "--repo", repo], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"], HOME: dir },
  });
  const lines = run.stderr.split("\n");
  const meta = JSON.parse(readFileSync(META, "utf8")) as Metafile;
  const urls = lines.filter((line) => line.startsWith("LOADED ")).map((line) => line.slice(7));
  const spawned = lines.filter((line) => line.startsWith("SPAWNED ")).map((line) => line.slice(8));
  return {
    loaded: urls.flatMap((url) => sourcesOf(url, meta)),
    spawned,
    status: run.status,
    stdout: run.stdout,
  };
}

describe("the modules a read command loads", () => {
  it.each([
    [["sessions", "describe", "nope"], 1],
    [["sessions", "list"], 0],
  ])("%j loads none of the controller's, runners' or logger's modules", (args, code) => {
    const { loaded, status } = loadedBy(args);
    expect(status).toBe(code);
    expect(loaded.some((url) => url.includes("/node_modules/commander/lib/"))).toBe(true); // CommonJS seen too
    expect(loaded.some((url) => url.endsWith("/dist/src/cli/commands/sessions.js"))).toBe(true);
    expect(loaded.filter((url) => NEVER.some((part) => url.includes(part)))).toEqual([]);
  });
});

describe("the plain read commands on a bare repository (quick.ts)", () => {
  const PARSER = [
    "/node_modules/commander/",
    "/dist/src/cli/commands/sessions.js",
    "/dist/src/cli/program.js",
  ];
  let bare = "";

  beforeAll(() => {
    const work = join(dir, "..", `${dir.split("/").pop()}-work`);
    execFileSync("git", ["clone", "-q", dir, work]);
    writeFileSync(join(work, "configurations.yaml"), "");
    const session = "apiVersion: cfs-gitops/v1\nkind: Session\nname: s1\nconfiguration:\n  name: site\n";
    execFileSync("mkdir", ["-p", join(work, "sessions"), join(work, "configurations")]);
    writeFileSync(join(work, "sessions", "s1.yaml"), session);
    writeFileSync(
      join(work, "configurations", "site.yaml"),
      "apiVersion: cfs-gitops/v1\nkind: Configuration\nname: site\nlayers:\n  - name: base\n    clone_url: https://git.example.org/base.git\n    commit: aaaa111111111111111111111111111111111111\n    playbook: site.yml\n",
    );
    execFileSync("git", ["-C", work, "add", "-A"]);
    execFileSync("git", [
      "-C",
      work,
      "-c",
      "user.name=t",
      "-c",
      "user.email=t@example.com",
      "commit",
      "-qm",
      "s1",
    ]);
    bare = `${work}.git`;
    execFileSync("git", ["clone", "-q", "--bare", work, bare]);
    rmSync(work, { recursive: true, force: true });
  });

  afterAll(() => rmSync(bare, { recursive: true, force: true }));

  it("answers a list whose branches did not move without the parser and without starting git", () => {
    const first = loadedBy(["sessions", "list"], bare); // computes and keeps the table
    expect(first.status).toBe(0);
    const again = loadedBy(["sessions", "list"], bare);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(first.stdout);
    expect(again.stdout).toContain("s1");
    expect(again.spawned).toEqual([]);
    expect(again.loaded.filter((url) => PARSER.some((part) => url.includes(part)))).toEqual([]);
    expect(again.loaded.filter((url) => NEVER.some((part) => url.includes(part)))).toEqual([]);
  });

  it("answers describe without the parser; a name it cannot describe goes to the CLI proper", () => {
    const found = loadedBy(["sessions", "describe", "s1"], bare);
    expect(found.status).toBe(0);
    expect(JSON.parse(found.stdout)).toMatchObject({ name: "s1" });
    expect(found.loaded.filter((url) => PARSER.some((part) => url.includes(part)))).toEqual([]);
    // s1 is pending (no controller ran): its manifest is parsed, so yaml loads; nothing else does.
    const notParsing = NEVER.filter((part) => !part.includes("/yaml/") && !part.includes("/ajv/"));
    expect(found.loaded.filter((url) => notParsing.some((part) => url.includes(part)))).toEqual([]);
    const missing = loadedBy(["sessions", "describe", "nope"], bare);
    expect(missing.status).toBe(1);
    expect(missing.loaded.some((url) => url.includes("/dist/src/cli/commands/sessions.js"))).toBe(true);
  });
});
