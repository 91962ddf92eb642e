import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkPassthroughFiles } from "../../../src/runners/steps/index.js";
import { tempDir } from "../../helpers/ansible-fixtures.js";

/** A work directory with layer0/ and hosts/ clones, a file outside them, and symlinks. */
function workDir(): string {
  const root = tempDir("cfs-pt-files-");
  const work = join(root, "work");
  mkdirSync(join(work, "layer0", "vars"), { recursive: true });
  mkdirSync(join(work, "hosts"));
  writeFileSync(join(work, "layer0", "vars", "a.yml"), "a: 1\n");
  writeFileSync(join(work, "hosts", "h.yml"), "h: 1\n");
  writeFileSync(join(root, "outside.yml"), "secret: 1\n");
  symlinkSync(join(root, "outside.yml"), join(work, "layer0", "out.yml"));
  symlinkSync(join(root), join(work, "layer0", "up"));
  symlinkSync(join(work, "hosts", "h.yml"), join(work, "layer0", "to-hosts.yml"));
  return work;
}

const check = (work: string, passthrough: string[]) =>
  checkPassthroughFiles({ step: "ansible-0", passthrough, workDir: work, layers: [{ index: 0 }] });

describe("checkPassthroughFiles", () => {
  it("accepts files inside the clones, also through a symlink that stays inside", async () => {
    const work = workDir();
    expect(await check(work, ["-e", "@layer0/vars/a.yml", "--extra-vars=@hosts/h.yml"])).toBeNull();
    expect(await check(work, ["-e@layer0/to-hosts.yml", "-e", "x=1", "--tags", "@t"])).toBeNull();
  });

  it.each([
    [["-e", "@layer0/out.yml"], "-e @layer0/out.yml resolves to a file outside the session's clones"],
    [
      ["-e", "@layer0/up/outside.yml"],
      "-e @layer0/up/outside.yml resolves to a file outside the session's clones",
    ],
    [["-e", "@layer0/missing.yml"], "-e @layer0/missing.yml does not exist in the session's clones"],
    [["-e", "@layer1/a.yml"], "-e @layer1/a.yml does not exist in the session's clones"],
    [["--extra-vars=@/etc/hostname"], 'reads "@/etc/hostname": an @file must be a relative path'],
  ])("refuses %j", async (passthrough, reason) => {
    expect(await check(workDir(), passthrough)).toContain(`ansible-0: ansible.passthrough: `);
    expect(await check(workDir(), passthrough)).toContain(reason);
  });
});
