import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { selfCommand } from "../../../src/cli/self-command.js";
import { tempDir } from "../../helpers/config-repo.js";

describe("selfCommand (the demo's try-next hints)", () => {
  let dir: ReturnType<typeof tempDir>;
  let script: string;
  beforeEach(() => {
    dir = tempDir("cfs-self-");
    mkdirSync(join(dir.path, "dist"));
    mkdirSync(join(dir.path, "bin"));
    script = join(dir.path, "dist", "main.js");
    writeFileSync(script, "#!/usr/bin/env node\n");
    chmodSync(script, 0o755);
  });
  afterEach(() => dir.cleanup());

  it("is cfs-gitops when that name on PATH links to this very script", () => {
    symlinkSync(script, join(dir.path, "bin", "cfs-gitops"));
    expect(selfCommand({ script, path: `/nonexistent:${join(dir.path, "bin")}` })).toBe("cfs-gitops");
  });

  it("is node with the absolute script when cfs-gitops on PATH is another install, or absent", () => {
    const other = join(dir.path, "other.js");
    writeFileSync(other, "");
    chmodSync(other, 0o755);
    symlinkSync(other, join(dir.path, "bin", "cfs-gitops"));
    expect(selfCommand({ script, path: join(dir.path, "bin") })).toBe(`node ${script}`);
    expect(selfCommand({ script: "dist/main.js", path: undefined })).toMatch(/^node \/.*\/dist\/main\.js$/);
  });
});
