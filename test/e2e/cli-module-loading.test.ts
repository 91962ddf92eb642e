/**
 * What `sessions describe` and `sessions list` load at start (issue 14: start-up under 150 ms):
 * the built CLI runs in a real process with a module-load hook that names every module loaded,
 * ESM and CommonJS, on a real repository. The runners, the Kubernetes Jobs, the planner's whole
 * room, chokidar's watcher and pino (while nothing is logged) stay unloaded.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CLI = resolve("dist/src/cli/main.js");

/** Prints `LOADED <url>` on stderr for every ESM module and every CommonJS file required. */
const HOOK = `
import { register } from "node:module";
import Module from "node:module";
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
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = mkdtempSync(join(tmpdir(), "cfs-loading-"));
  git("init", "-q", "-b", "main");
  writeFileSync(join(dir, "README.md"), "config\n");
  git("add", "README.md");
  git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "init");
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

function loadedBy(args: readonly string[]): { loaded: string[]; status: number | null } {
  const hook = `data:text/javascript,${encodeURIComponent(HOOK)}`;
  const run = spawnSync(process.execPath, ["--import", hook, CLI, ...args, "--repo", dir], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"], HOME: dir },
  });
  const lines = run.stderr.split("\n");
  return {
    loaded: lines.filter((line) => line.startsWith("LOADED ")).map((line) => line.slice(7)),
    status: run.status,
  };
}

describe("the modules a read command loads", () => {
  it.each([
    [["sessions", "describe", "nope"], 1],
    [["sessions", "list"], 0],
  ])("%j loads none of the controller's, runners' or logger's modules", (args, code) => {
    const { loaded, status } = loadedBy(args);
    expect(status).toBe(code);
    expect(loaded.some((url) => url.includes("/node_modules/yaml/"))).toBe(true); // the hook sees both kinds
    expect(loaded.some((url) => url.endsWith("/dist/src/cli/commands/sessions.js"))).toBe(true);
    expect(loaded.filter((url) => NEVER.some((part) => url.includes(part)))).toEqual([]);
  });
});
