/**
 * Fixtures for runner tests: layer repositories as local bare repos (real git) holding tiny
 * playbooks against localhost, RunSpecs that use them, and a way to wait for a run.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { PlannedLayer, RunObservation, RunSpec, SessionManifest } from "../../src/api/index.js";
import type { Runner } from "../../src/runners/types.js";

const GIT_IDENTITY = ["-c", "user.name=cfs-gitops test", "-c", "user.email=test@cfs-gitops.invalid"];

/** A temporary directory for one test. */
export function tempDir(prefix = "cfs-runner-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A bare repository made from `files`, with the commit of its `main` branch. */
export interface LayerRepo {
  /** The bare repository's path (usable as clone_url). */
  path: string;
  /** `file://` URL of the same repository. */
  url: string;
  commit: string;
}

/** Create a bare repository at `<root>/<name>.git` whose `main` holds `files` (path -> text). */
export function makeLayerRepo(root: string, name: string, files: Record<string, string>): LayerRepo {
  const work = join(root, `${name}-work`);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(work, path)), { recursive: true });
    writeFileSync(join(work, path), text);
  }
  git(["init", "-q", "-b", "main", work]);
  git(["add", "-A"], work);
  git([...GIT_IDENTITY, "commit", "-q", "-m", `${name}`], work);
  const bare = join(root, `${name}.git`);
  git(["clone", "-q", "--bare", work, bare]);
  return { path: bare, url: `file://${bare}`, commit: git(["rev-parse", "HEAD"], work).trim() };
}

/** Add a commit to `main` of a repository made by makeLayerRepo; returns the new commit. */
export function pushCommit(root: string, name: string, files: Record<string, string>): string {
  const work = join(root, `${name}-work`);
  for (const [path, text] of Object.entries(files)) writeFileSync(join(work, path), text);
  git(["add", "-A"], work);
  git([...GIT_IDENTITY, "commit", "-q", "-m", "more"], work);
  git(["push", "-q", join(root, `${name}.git`), "main"], work);
  return git(["rev-parse", "HEAD"], work).trim();
}

function git(args: string[], cwd?: string): string {
  return execFileSync("git", args, { cwd, encoding: "utf8" });
}

/** A play on every host, without facts. */
export function play(tasks: string): string {
  return `- hosts: all\n  gather_facts: false\n  tasks:\n${tasks}`;
}

/** A playbook that writes `text` to `path`. */
export function writeFilePlaybook(path: string, text: string): string {
  return play(
    `    - name: write the marker\n      ansible.builtin.copy:\n        content: "${text}\\n"\n        dest: "${path}"\n`,
  );
}

/** A playbook that fails on every host. */
export function failingPlaybook(): string {
  return play(`    - name: fail on purpose\n      ansible.builtin.fail:\n        msg: failing on purpose\n`);
}

/** A playbook that appends a line to `marker` (so a test sees it run) and then sleeps 30 seconds. */
export function sleepingPlaybook(marker: string): string {
  return play(
    `    - name: say it started\n      ansible.builtin.shell: echo started >> "${marker}"\n` +
      `    - name: sleep\n      ansible.builtin.command: sleep 30\n`,
  );
}

/**
 * A playbook that appends a line to `marker`, waits until the file `gate` exists, then succeeds
 * (or fails on every host when `fail`): a run whose end a test decides.
 */
export function gatedPlaybook(marker: string, gate: string, fail = false): string {
  const end = fail
    ? `    - name: fail on purpose\n      ansible.builtin.fail:\n        msg: failing on purpose\n`
    : "";
  return play(
    `    - name: say it started\n      ansible.builtin.shell: echo started >> "${marker}"\n` +
      `    - name: wait for the gate\n      ansible.builtin.shell: while [ ! -e "${gate}" ]; do sleep 0.1; done\n` +
      end,
  );
}

/** A layer of a RunSpec. */
export function layer(index: number, fields: Omit<PlannedLayer, "index" | "displayName">): PlannedLayer {
  return { index, displayName: fields.name ?? `layer${index}`, ...fields };
}

/** A RunSpec for session `name`, targeting localhost through dynamic inventory unless `session` says otherwise. */
export function runSpec(name: string, layers: PlannedLayer[], extra: Partial<RunSpec> = {}): RunSpec {
  const session: SessionManifest = {
    apiVersion: "cfs-gitops/v1",
    kind: "Session",
    name,
    configuration: { name: `${name}-config` },
  };
  return {
    name,
    job: `cfs-${name}-0123abcd`,
    session,
    configurationName: `${name}-config`,
    layers,
    additionalInventory: null,
    components: [{ apiVersion: "cfs-gitops/v1", kind: "Component", id: "localhost" }],
    ansibleConfig: "cfs-default-ansible-cfg",
    ansibleConfigText: null,
    sourceCommit: "0".repeat(40),
    ...extra,
  };
}

/** Wait until the runner reports session `name` and `done` holds for it (polls observe()). */
export async function waitForRun(
  runner: Runner,
  name: string,
  done: (obs: RunObservation) => boolean,
  timeoutMs = 30_000,
): Promise<RunObservation> {
  const deadline = Date.now() + timeoutMs;
  let last: RunObservation | undefined;
  while (Date.now() < deadline) {
    last = (await runner.observe()).get(name);
    if (last !== undefined && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`session ${name} did not get there in ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}

/** The run is over. */
export function isComplete(obs: RunObservation): boolean {
  return obs.phase === "complete";
}

/** Step `step` of the run is running. */
export function isStepRunning(step: string): (obs: RunObservation) => boolean {
  return (obs) => obs.steps.some((s) => s.name === step && s.status === "running");
}
