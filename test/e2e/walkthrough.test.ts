import { spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/config-repo.js";

/**
 * The README's walk-through, run as written: its `sh` blocks (each after a `<!-- walkthrough -->`
 * marker) in an empty folder, with the built `cfs-gitops` on PATH. The block marked `background`
 * (the controller, "in a second terminal") runs beside the others until the end.
 */
const ROOT = resolve(".");
const CLI = join(ROOT, "dist/src/cli/main.js");

/** A block of the walk-through. */
interface Block {
  background: boolean;
  script: string;
}

/** The marked `sh` blocks of README.md, in order. */
function walkthroughBlocks(readme: string): Block[] {
  const pattern = /<!-- walkthrough(: background)? -->\s*```sh\n([\s\S]*?)```/g;
  return [...readme.matchAll(pattern)].map((match) => ({
    background: match[1] !== undefined,
    script: match[2] ?? "",
  }));
}

let dir: { path: string; cleanup: () => void };
let controller: ChildProcess | null = null;
let controllerLog = "";

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-walk-");
});

afterAll(async () => {
  if (controller?.exitCode === null) {
    const exited = new Promise((done) => controller?.once("close", done));
    controller.kill("SIGTERM");
    await exited;
  }
  dir?.cleanup();
});

function environment(): NodeJS.ProcessEnv {
  const bin = join(dir.path, "bin");
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, "cfs-gitops"), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, "cfs-gitops"), 0o755);
  const home = join(dir.path, "home");
  mkdirSync(home, { recursive: true });
  const keep = ["PATH", "LANG", "TMPDIR"];
  const base = Object.fromEntries(keep.flatMap((key) => (process.env[key] ? [[key, process.env[key]]] : [])));
  return {
    ...base,
    PATH: `${bin}:${process.env["PATH"] ?? ""}`,
    HOME: home,
    GIT_AUTHOR_NAME: "Jane Operator",
    GIT_AUTHOR_EMAIL: "jane@example.org",
    GIT_COMMITTER_NAME: "Jane Operator",
    GIT_COMMITTER_EMAIL: "jane@example.org",
    GIT_CONFIG_NOSYSTEM: "1",
  };
}

function runScript(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; output: string }> {
  const child = spawn("bash", ["-euo", "pipefail", "-c", script], {
    cwd,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString("utf8")));
  return new Promise((done) => child.once("close", (code) => done({ code, output })));
}

describe("the README walk-through", () => {
  it(
    "runs as written: a configuration, a session through a merged pull request, its history, a rollback by revert",
    { timeout: 300_000 },
    async () => {
      const blocks = walkthroughBlocks(readFileSync(join(ROOT, "README.md"), "utf8"));
      const at = blocks.findIndex((block) => block.background);
      expect(at).toBeGreaterThan(0);
      const before = blocks
        .slice(0, at)
        .map((block) => block.script)
        .join("\n");
      const after = blocks
        .slice(at + 1)
        .map((block) => block.script)
        .join("\n");
      const folder = join(dir.path, "walk");
      mkdirSync(folder);
      const env = environment();

      const setUp = await runScript(before, folder, env);
      expect(setUp.output).toBe("");
      expect(setUp.code).toBe(0);
      controller = spawn("bash", ["-euo", "pipefail", "-c", `exec ${blocks[at]?.script ?? ""}`], {
        cwd: folder,
        env,
        stdio: ["ignore", "ignore", "pipe"],
      });
      controller.stderr?.on("data", (chunk: Buffer) => (controllerLog += chunk.toString("utf8")));

      const result = await runScript(after, folder, env);
      expect(result.code, `${result.output}\n--- controller:\n${controllerLog}`).toBe(0);
      const out = result.output;
      const [beforeRevert = "", afterRevert = ""] = out.split('Revert "Merge branch first-session"');
      // The review's preview, the run's record and its logs, all read from inside the clone.
      expect(beforeRevert).toContain("| `first-session` | `site` | 1 | spec; all: localhost |");
      expect(beforeRevert).toMatch(/^first-session\s+complete\s+true\s+site/m);
      expect(beforeRevert).toMatch(/^ {4}succeeded: "true"$/m);
      expect(beforeRevert).toContain('"msg": "hello from the base layer"');
      expect(beforeRevert).toMatch(/\smerged\s+[0-9a-f]{12}\s+brought [0-9a-f]{12} in, by Jane Operator/);
      expect(beforeRevert).toMatch(/\scomplete\s+[0-9a-f]{12}\s+status, succeeded=true/);
      // After the revert the session is gone, and the status branch's log keeps its history.
      expect(afterRevert).not.toMatch(/^first-session\s/m);
      const logLines = afterRevert.split("\n").filter((line) => /^[0-9a-f]{7,12} status/.test(line));
      expect(logLines.length, afterRevert).toBeGreaterThanOrEqual(4);
    },
  );
});
