/** A configuration repository for end-to-end tests: layer repositories with tiny playbooks, and commits. */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.org",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.org",
};

/** Runs git in a folder and returns its trimmed stdout. */
export function git(cwd: string, args: string[]): string {
  return execFileSync("git", args, {
    cwd,
    env: GIT_ENV,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  }).trim();
}

/**
 * A temporary folder removed by `cleanup`. Step processes outlive a controller by design (a
 * controller that starts again adopts them), so a test that stops its controller mid-run can leave
 * one writing into the folder: cleanup first kills the process group of every process whose command
 * line names the folder, then removes it (retrying while a dying process still holds an entry).
 */
export function tempDir(prefix: string): { path: string; cleanup: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    cleanup: () => {
      killProcessesNaming(path);
      rmSync(path, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 });
    },
  };
}

/** The process group id of a process, from `/proc/<pid>/stat` (its fifth field). */
function processGroup(pid: string): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** SIGKILL the process group of every process (but this one) whose command line contains `text`. */
function killProcessesNaming(text: string): void {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  const ownGroup = processGroup("self");
  for (const pid of pids) {
    if (Number(pid) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(text)) continue;
      const group = processGroup(pid);
      if (group > 1 && group !== ownGroup) process.kill(-group, "SIGKILL");
      else process.kill(Number(pid), "SIGKILL");
    } catch {
      // the process ended meanwhile, or is not ours to signal
    }
  }
}

/** Creates a bare repository holding the given files; returns its path. */
export function makeLayerRepo(root: string, name: string, files: Record<string, string>): string {
  const work = join(root, "layer-work", name);
  mkdirSync(work, { recursive: true });
  git(work, ["init", "-q", "-b", "main"]);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git(work, ["add", "-A"]);
  git(work, ["commit", "-q", "-m", `layer ${name}`]);
  const bare = join(root, "layers", `${name}.git`);
  git(root, ["clone", "-q", "--bare", work, bare]);
  return bare;
}

/** A playbook for localhost that appends `line` to `file` (and optionally sleeps or fails). */
export function playbook(input: { file: string; line: string; sleep?: number; fail?: boolean }): string {
  const tasks = [
    `    - ansible.builtin.shell: echo ${input.line} >> ${input.file}`,
    ...(input.sleep ? [`    - ansible.builtin.command: sleep ${input.sleep}`] : []),
    ...(input.fail ? [`    - ansible.builtin.fail:\n        msg: failing on purpose`] : []),
  ];
  return `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks.join("\n")}\n`;
}

/** A non-bare configuration repository with helpers to commit manifests. */
export class ConfigRepo {
  constructor(readonly path: string) {
    mkdirSync(path, { recursive: true });
    git(path, ["init", "-q", "-b", "main"]);
  }

  /** Writes (or with null, deletes) files and commits them; returns the commit id. */
  commit(files: Record<string, string | Buffer | null>, message = "change"): string {
    for (const [path, text] of Object.entries(files)) {
      const full = join(this.path, path);
      if (text === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, text);
      }
    }
    git(this.path, ["add", "-A"]);
    git(this.path, ["commit", "-q", "--allow-empty", "-m", message]);
    return git(this.path, ["rev-parse", "HEAD"]);
  }

  /** Reverts a commit (as `git revert` would after a bad merge). */
  revert(commit: string): string {
    git(this.path, ["revert", "--no-edit", commit]);
    return git(this.path, ["rev-parse", "HEAD"]);
  }

  /** A file of the status branch, or null. */
  statusFile(path: string, branch = "cfs-status"): string | null {
    try {
      return git(this.path, ["show", `${branch}:${path}`]);
    } catch {
      return null;
    }
  }

  /** Subjects and bodies of the status branch, newest first. */
  statusLog(path?: string): string[] {
    const args = ["log", "--format=%s%n%b%x00", "cfs-status", ...(path ? ["--", path] : [])];
    return git(this.path, args)
      .split("\0")
      .map((entry) => entry.trim())
      .filter((entry) => entry !== "");
  }
}

/** A Configuration manifest. */
export function configurationYaml(
  name: string,
  layers: Array<{ name: string; url: string; playbook?: string }>,
): string {
  const items = layers
    .map(
      (l) =>
        `  - name: ${l.name}\n    clone_url: ${l.url}\n    branch: main\n    playbook: ${l.playbook ?? "site.yml"}`,
    )
    .join("\n");
  return `apiVersion: cfs-gitops/v1\nkind: Configuration\nname: ${name}\nlayers:\n${items}\n`;
}

/** A Session manifest targeting localhost through a spec inventory. */
export function sessionYaml(name: string, configuration: string, extra = ""): string {
  return `apiVersion: cfs-gitops/v1\nkind: Session\nname: ${name}\nconfiguration:\n  name: ${configuration}\ntarget:\n  definition: spec\n  groups:\n    - name: test\n      members: [localhost]\n${extra}`;
}
