/**
 * `./setup`, the README's set-up, run for real (bash) on a copy of the files it reads. The machine
 * is never changed: the test hides some tools from PATH (a directory of links to every other
 * command) and stands a recording `apt-get` in for the real one, which "installs" a package by
 * linking the hidden tool back. `id` is a stand-in too, so a run as another user never reaches the
 * real sudo. node_modules is a symbolic link, which setup leaves alone (no npm ci here).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REPO_ROOT } from "../../helpers/reference-spec.js";

let scratch: string;

beforeEach(() => {
  scratch = mkdtempSync(join(tmpdir(), "cfs-setup-"));
});

afterEach(() => rmSync(scratch, { recursive: true, force: true }));

/** The files setup reads, copied; node_modules a link to an empty directory. */
function copyProject(): string {
  const project = join(scratch, "project");
  for (const file of [
    "setup",
    "package.json",
    "package-lock.json",
    "test/kube/go.mod",
    "test/kube/etcd/go.mod",
    "test/forge/build.sh",
  ]) {
    mkdirSync(join(project, file, ".."), { recursive: true });
    copyFileSync(join(REPO_ROOT, file), join(project, file));
  }
  mkdirSync(join(scratch, "modules"));
  symlinkSync(join(scratch, "modules"), join(project, "node_modules"));
  return project;
}

/** Where a command is on the real PATH. */
function which(name: string): string {
  return execFileSync("sh", ["-c", `command -v ${name}`], { encoding: "utf8" }).trim();
}

function isLinkOrFile(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** A PATH directory: every command of the real PATH but `hidden`, plus the given scripts. */
function fakePath(input: { hidden: string[]; scripts: Record<string, string> }): string {
  const bin = join(scratch, "bin");
  mkdirSync(bin, { recursive: true });
  for (const [name, body] of Object.entries(input.scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  for (const dir of (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "" && existsSync(d))) {
    for (const name of readdirSync(dir)) {
      // lstat, not exists: a dangling link (a cfs-gitops linked to a deleted clone) is still taken
      if (input.hidden.includes(name) || isLinkOrFile(join(bin, name))) continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  return bin;
}

/** An apt-get that records its arguments and "installs" a package by linking its tools into `bin`. */
function recordingAptGet(input: { log: string; provides: Record<string, string[]> }): string {
  const bin = join(scratch, "bin");
  const cases = Object.entries(input.provides)
    .map(([pkg, tools]) => `    ${pkg}) ln -sf ${tools.join(" ")} ${bin}/ ;;`)
    .join("\n");
  return [
    `echo "$*" >> ${input.log}`,
    `[ "$1" = install ] || exit 0`,
    `for p in "$@"; do`,
    `  case "$p" in`,
    cases,
    `  esac`,
    `done`,
  ].join("\n");
}

/**
 * An npm whose `run build` only makes the built CLI's file (the copied project has no sources) and
 * whose global prefix is in the scratch folder, so the link step never touches the real one.
 */
function fakeNpm(): string {
  const prefix = join(scratch, "npm-global");
  mkdirSync(join(prefix, "bin"), { recursive: true });
  return [
    `case "$1" in`,
    `  run) mkdir -p dist/src/cli && echo '#!/usr/bin/env node' > dist/src/cli/main.js ;;`,
    `  prefix) echo ${prefix} ;;`,
    `  *) exec ${which("npm")} "$@" ;;`,
    `esac`,
  ].join("\n");
}

/** `id -u` answers `uid`; everything else goes to the real id. */
function idAs(uid: number): string {
  return `[ "$1" = -u ] && echo ${uid} && exit 0\nexec ${which("id")} "$@"`;
}

function runSetup(input: { project: string; bin: string; args: string[] }) {
  const result = spawnSync("bash", [join(input.project, "setup"), ...input.args], {
    encoding: "utf8",
    env: { HOME: process.env.HOME ?? scratch, PATH: input.bin, LANG: "C" },
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function aptCalls(log: string): string[] {
  return existsSync(log) ? readFileSync(log, "utf8").trim().split("\n") : [];
}

describe("./setup", () => {
  it("installs what is missing with apt-get, saying what and why, and nothing on a second run", () => {
    const project = copyProject();
    const log = join(scratch, "apt.log");
    const provides = {
      "ansible-core": [which("ansible-playbook")],
      "squashfs-tools": [which("mksquashfs"), which("unsquashfs")],
    };
    const bin = fakePath({
      hidden: ["ansible-playbook", "mksquashfs", "unsquashfs", "sudo"],
      scripts: { "apt-get": recordingAptGet({ log, provides }), id: idAs(0), npm: fakeNpm() },
    });
    const first = runSetup({ project, bin, args: ["--test"] });
    expect(first.stderr).toBe("");
    expect(first.stdout).toContain("  ansible-core  (ansible-playbook: runs every layer of every session)\n");
    expect(first.stdout).toContain("  squashfs-tools  (mksquashfs and unsquashfs:");
    expect(first.stdout).toContain("node_modules is a symbolic link: leaving it alone (no npm ci)");
    expect(first.code).toBe(0);
    expect(aptCalls(log)).toEqual(["update -qq", "install -y -qq ansible-core squashfs-tools"]);
    const link = join(scratch, "npm-global", "bin", "cfs-gitops");
    expect(first.stdout).toContain(`setup: cfs-gitops: linking ${link} -> this clone's dist/`);
    expect(realpathSync(link)).toBe(realpathSync(join(project, "dist", "src", "cli", "main.js")));

    const second = runSetup({ project, bin, args: ["--test"] });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("setup: system packages: all there, nothing to install\n");
    expect(second.stdout).toContain(
      `setup: cfs-gitops: already linked (${join(scratch, "npm-global", "bin", "cfs-gitops")}`,
    );
    expect(aptCalls(log)).toHaveLength(2);
  });

  it("without apt-get, prints the exact list to install and exits 2", () => {
    const project = copyProject();
    const bin = fakePath({ hidden: ["apt-get", "ansible-playbook"], scripts: {} });
    const result = runSetup({ project, bin, args: [] });
    expect(result.code).toBe(2);
    expect(result.stdout).toContain(
      "  ansible-core  (ansible-playbook: runs every layer of every session)\n",
    );
    expect(result.stderr).toContain(
      "  - no apt-get here: install the packages above with your package manager (Debian names: ansible-core)\n",
    );
  });

  it("as a user without sudo, says what to run as root and exits 2", () => {
    const project = copyProject();
    const log = join(scratch, "apt.log");
    const bin = fakePath({
      hidden: ["ansible-playbook", "sudo"],
      scripts: { "apt-get": recordingAptGet({ log, provides: {} }), id: idAs(1000) },
    });
    const result = runSetup({ project, bin, args: [] });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("  - neither root nor sudo: as root, run apt-get install ansible-core\n");
    expect(aptCalls(log)).toEqual([]);
  });

  it("with --check only reports: nothing installed, exit 2 while something is missing", () => {
    const project = copyProject();
    const log = join(scratch, "apt.log");
    const bin = fakePath({
      hidden: ["mksquashfs", "sudo"],
      scripts: { "apt-get": recordingAptGet({ log, provides: {} }), id: idAs(0) },
    });
    const result = runSetup({ project, bin, args: ["--check", "--test"] });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("  - the packages above: apt-get install squashfs-tools\n");
    expect(aptCalls(log)).toEqual([]);
    expect(runSetup({ project, bin, args: ["--check"] })).toMatchObject({ code: 0 });
  });
});
