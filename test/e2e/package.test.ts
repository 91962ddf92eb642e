import { execFile } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/config-repo.js";

/**
 * Packaging: `npm pack` makes a tarball that installs elsewhere (`npm install -g --prefix`) and
 * puts a working `cfs-gitops` on that prefix's PATH. Installing fetches the dependencies through
 * npm (its cache first).
 */
const run = promisify(execFile);
const ROOT = resolve(".");
let dir: { path: string; cleanup: () => void };

beforeAll(() => {
  if (!existsSync(join(ROOT, "dist/src/cli/main.js")))
    throw new Error("dist/ is missing: run `npm run build` first (npm test does)");
  dir = tempDir("cfs-pack-");
});

afterAll(() => dir?.cleanup());

describe("the npm package", () => {
  it("packs, installs into another prefix, and runs as cfs-gitops", { timeout: 600_000 }, async () => {
    // --ignore-scripts: dist/ is built already (a plain `npm pack` builds it through prepack).
    await run("npm", ["pack", "--ignore-scripts", "--silent", "--pack-destination", dir.path], { cwd: ROOT });
    const tarball = readdirSync(dir.path).find((name) => name.endsWith(".tgz"));
    expect(tarball).toBe("cfs-gitops-0.1.0.tgz");
    const listing = await run("tar", ["-tzf", join(dir.path, tarball ?? "")]);
    const files = listing.stdout.split("\n");
    expect(files).toContain("package/dist/src/cli/main.js");
    expect(files).toContain("package/schemas/session.schema.json");
    expect(files.filter((file) => /^package\/(test|node_modules|src)\//.test(file))).toEqual([]);
    const prefix = join(dir.path, "prefix");
    await run(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        join(dir.path, tarball ?? ""),
        "--prefer-offline",
        "--no-audit",
        "--no-fund",
      ],
      { cwd: dir.path, timeout: 540_000 },
    );
    const version = await run(join(prefix, "bin", "cfs-gitops"), ["--version"], { cwd: dir.path });
    expect(version.stdout).toBe("0.1.0\n");
    const help = await run(join(prefix, "bin", "cfs-gitops"), ["sessions", "--help"], { cwd: dir.path });
    expect(help.stdout).toContain("Usage: cfs-gitops sessions");
  });
});
