/** `cfs-gitops images ...` in-process on a real store: import, list, describe, export, delete. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { CliIo } from "../../../src/cli/io.js";
import { runCli } from "../../../src/cli/run-cli.js";
import { busyboxRoot } from "../../helpers/image-busybox-root.js";

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cfs-images-cli-"));
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function cli(
  argv: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    stdin: null,
    env,
    cwd: dir,
    now: () => new Date("2026-01-02T03:04:05Z"),
    sleep: () => Promise.resolve(),
  };
  const code = await runCli(argv, io);
  return { code, stdout, stderr };
}

describe("cfs-gitops images", () => {
  it("imports a root, lists and describes it, exports it as a tarball and deletes it", async () => {
    const imported = await cli([
      "images",
      "import",
      busyboxRoot(),
      "--name",
      "busybox",
      "--data-dir",
      "data",
    ]);
    expect(imported).toMatchObject({ code: 0, stderr: "" });
    const id = imported.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const list = await cli(["images", "list", "--data-dir", "data"]);
    expect(list.stdout.split("\n")[0]).toMatch(/^ID\s+NAME\s+PARENT\s+CREATED\s+FORMAT\s+SIZE$/);
    expect(list.stdout).toMatch(
      new RegExp(`^${id}\\s+busybox\\s+-\\s+\\S+Z\\s+squashfs\\s+\\d+(\\.\\d)? (B|KiB|MiB)$`, "m"),
    );
    const byName = await cli(["images", "describe", "busybox", "--data-dir", "data"]);
    const record = JSON.parse(byName.stdout) as { id: string; size: number };
    expect(record.id).toBe(id);
    expect(Number.isInteger(record.size) && record.size > 1024).toBe(true);

    const described = await cli(["images", "describe", id, "--format", "json"], {
      CFS_GITOPS_DATA_DIR: join(dir, "data"),
    });
    expect(JSON.parse(described.stdout)).toMatchObject({
      id,
      name: "busybox",
      parent: null,
      format: "squashfs",
    });

    expect((await cli(["images", "export", id, "out.tar.gz", "--data-dir", "data"])).code).toBe(0);
    expect(execFileSync("tar", ["-tzf", join(dir, "out.tar.gz")], { encoding: "utf8" })).toContain(
      "./etc/motd",
    );

    expect((await cli(["images", "delete", id, "--data-dir", "data"])).code).toBe(0);
    expect(await cli(["images", "delete", id, "--data-dir", "data"])).toMatchObject({
      code: 1,
      stderr: `cfs-gitops: Image ${id} could not be found\n`,
    });
  });

  it("says where the store is looked for when neither --data-dir nor --repo is given", async () => {
    expect(await cli(["images", "list"])).toMatchObject({
      code: 2,
      stderr:
        "cfs-gitops: the image store is in the controller's data directory: pass --data-dir <dir> or --repo <path|url>\n",
    });
  });

  it("reports an import from a path that does not exist in one line", async () => {
    expect(
      await cli(["images", "import", "missing.tar.gz", "--name", "x", "--data-dir", "data"]),
    ).toMatchObject({
      code: 1,
      stderr: `cfs-gitops: ${join(dir, "missing.tar.gz")}: no such file or directory\n`,
    });
  });
});
