/**
 * Issue 10, points 3 and 10: at run time, right before ansible-playbook starts, a layer's playbook
 * and every `-e @file` must resolve (symlinks followed) inside the session's own clones. Real git
 * (symlinks committed in the layer repository) and real ansible-playbook, on the local runner.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { RunSpec } from "../../../src/api/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import { isComplete, layer, play, runSpec, tempDir, waitForRun } from "../../helpers/ansible-fixtures.js";

const runners: Runner[] = [];

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
});

async function newRunner(dataDir: string): Promise<Runner> {
  const runner = await createLocalRunner({ dataDir, log: pino({ level: "silent" }), maxConcurrent: 4 });
  runners.push(runner);
  return runner;
}

function git(args: string[], cwd?: string): string {
  const identity = ["-c", "user.name=t", "-c", "user.email=t@t.invalid"];
  return execFileSync("git", [...identity, ...args], { cwd, encoding: "utf8" }).trim();
}

/** A bare repository with `files` and `links` (path -> symlink target) committed on main. */
function repoWithLinks(input: {
  root: string;
  name: string;
  files: Record<string, string>;
  links: Record<string, string>;
}): { path: string; commit: string } {
  const work = join(input.root, `${input.name}-work`);
  mkdirSync(work, { recursive: true });
  for (const [path, text] of Object.entries(input.files)) writeFileSync(join(work, path), text);
  for (const [path, target] of Object.entries(input.links)) symlinkSync(target, join(work, path));
  git(["init", "-q", "-b", "main", work]);
  git(["add", "-A"], work);
  git(["commit", "-q", "-m", input.name], work);
  const bare = join(input.root, `${input.name}.git`);
  git(["clone", "-q", "--bare", work, bare]);
  return { path: bare, commit: git(["rev-parse", "HEAD"], work) };
}

/** A playbook that writes `{{ token | default('none') }}` to `out`. */
function tokenPlaybook(out: string): string {
  return play(
    `    - ansible.builtin.copy:\n        content: "{{ token | default('none') }}\\n"\n        dest: "${out}"\n`,
  );
}

function withPassthrough(spec: RunSpec, passthrough: string): RunSpec {
  return { ...spec, session: { ...spec.session, ansible: { passthrough } } };
}

describe("the local runner, right before ansible-playbook", () => {
  it("refuses a layer whose playbook is a symlink out of its clone, naming the layer", async () => {
    const root = tempDir("cfs-refused-");
    const marker = join(root, "outside-ran.txt");
    const outside = join(root, "outside.yml");
    writeFileSync(outside, play(`    - ansible.builtin.shell: echo ran >> ${marker}\n`));
    const repo = repoWithLinks({ root, name: "linked", files: {}, links: { "site.yml": outside } });
    const runner = await newRunner(join(root, "data"));
    const spec = runSpec("linked", [
      layer(0, { name: "base", clone_url: repo.path, commit: repo.commit, playbook: "site.yml" }),
    ]);
    await runner.start(spec);
    const obs = await waitForRun(runner, "linked", isComplete);
    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toBe(
      "ansible-0: playbook site.yml of layer 0 (base) is a symlink that resolves outside the layer's clone: refused",
    );
    expect(obs.layers[0]?.status).toBe("failed");
    expect(existsSync(marker)).toBe(false);
  });

  it("refuses an -e @file that a symlink in the clone points out of it, and reads none of it", async () => {
    const root = tempDir("cfs-refused-");
    const out = join(root, "token.txt");
    const secretFile = join(root, "controller-secret.yml");
    writeFileSync(secretFile, "token: controller-only-TOPSECRET\n");
    const repo = repoWithLinks({
      root,
      name: "vars",
      files: { "site.yml": tokenPlaybook(out), "good.yml": "token: from-the-clone\n" },
      links: { "vars.yml": secretFile, "inner.yml": "good.yml" },
    });
    const runner = await newRunner(join(root, "data"));
    const base = runSpec("vars", [
      layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" }),
    ]);

    await runner.start(withPassthrough(base, "-e @layer0/vars.yml"));
    const refused = await waitForRun(runner, "vars", isComplete);
    expect(refused.succeeded).toBe("false");
    expect(refused.reason).toBe(
      "ansible-0: ansible.passthrough: -e @layer0/vars.yml resolves to a file outside the session's clones (a symlink?): refused, it would read a file of the controller's host",
    );
    expect(existsSync(out)).toBe(false);
    expect(JSON.stringify(refused)).not.toContain("TOPSECRET");
    expect((await runner.readLog(base.job, "ansible-0")) ?? "").not.toContain("TOPSECRET");

    // A symlink that stays inside the clone, and a plain file, are fine.
    const inside = {
      ...withPassthrough(base, "-e @layer0/inner.yml"),
      name: "inner",
      job: "cfs-inner-0123abcd",
    };
    await runner.start(inside);
    expect((await waitForRun(runner, "inner", isComplete)).succeeded).toBe("true");
    expect(readFileSync(out, "utf8")).toBe("from-the-clone\n");
  });

  it("refuses an absolute @file even in a RunSpec that never went through the validator", async () => {
    const root = tempDir("cfs-refused-");
    const out = join(root, "token.txt");
    const secretFile = join(root, "controller-secret.yml");
    writeFileSync(secretFile, "token: controller-only-TOPSECRET\n");
    const repo = repoWithLinks({ root, name: "abs", files: { "site.yml": tokenPlaybook(out) }, links: {} });
    const runner = await newRunner(join(root, "data"));
    const spec = withPassthrough(
      runSpec("abs", [layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" })]),
      `--extra-vars=@${secretFile}`,
    );
    await runner.start(spec);
    const obs = await waitForRun(runner, "abs", isComplete);
    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toContain(
      `ansible-0: ansible.passthrough: flag "--extra-vars" reads "@${secretFile}"`,
    );
    expect(existsSync(out)).toBe(false);
  });
});
