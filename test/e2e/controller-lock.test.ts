import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CONTROLLER_LOCK_FILE } from "../../src/cli/controller-lock.js";
import {
  ConfigRepo,
  configurationYaml,
  makeLayerRepo,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { waitFor } from "./harness.js";

/** Two `controller --once` processes of the built CLI on one repository / data directory. */
const CLI = resolve("dist/src/cli/main.js");

let dir: { path: string; cleanup: () => void };

beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-lock-");
});

afterEach(() => dir.cleanup());

interface Run {
  pid: number;
  done: Promise<{ code: number | null; stderr: string }>;
}

function controller(args: string[]): Run {
  const child = spawn(process.execPath, [CLI, "controller", "--once", "--log-level", "warn", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return {
    pid: child.pid ?? 0,
    done: new Promise((finish) => child.once("close", (code) => finish({ code, stderr }))),
  };
}

/** A repository with one session whose playbook waits for `gate`, so a controller holds its locks until the test opens it. */
function gatedRepo(gate: string): ConfigRepo {
  const book = `- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.shell: while [ ! -f ${gate} ]; do sleep 0.2; done\n`;
  const layer = makeLayerRepo(dir.path, "gated", { "site.yml": book });
  const repo = new ConfigRepo(join(dir.path, "config"));
  repo.commit({
    "configurations/gated.yaml": configurationYaml("gated", [{ name: "gated", url: layer }]),
    "sessions/gated-one.yaml": sessionYaml("gated-one", "gated"),
  });
  return repo;
}

describe("one controller per repository and data directory", () => {
  it("refuses a second controller on the same repository, naming the holder's pid; --wait-lock waits for it", async () => {
    const gate = join(dir.path, "gate");
    const repo = gatedRepo(gate);
    const first = controller(["--repo", repo.path, "--data-dir", join(dir.path, "data-1")]);
    const repoLock = join(repo.path, ".git", CONTROLLER_LOCK_FILE);
    await waitFor(() => existsSync(repoLock), { what: "the first controller's repository lock" });

    const second = await controller(["--repo", repo.path, "--data-dir", join(dir.path, "data-2")]).done;
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`cfs-gitops: another controller (pid ${first.pid}, started `);
    expect(second.stderr).toContain(`holds ${repoLock}: stop it first, or pass --wait-lock`);

    const sameData = await controller(["--repo", repo.path, "--data-dir", join(dir.path, "data-1")]).done;
    expect(sameData.code).toBe(1);
    expect(sameData.stderr).toContain(`(pid ${first.pid}, started `);
    expect(sameData.stderr).toContain(join(dir.path, "data-1", CONTROLLER_LOCK_FILE));

    const waiting = controller(["--repo", repo.path, "--data-dir", join(dir.path, "data-2"), "--wait-lock"]);
    writeFileSync(gate, "");
    expect((await first.done).code).toBe(0);
    expect((await waiting.done).code).toBe(0);
    const record = JSON.parse(repo.statusFile("sessions/gated-one.json") ?? "{}") as {
      status?: { session?: { succeeded?: string } };
    };
    expect(record.status?.session?.succeeded).toBe("true");
    expect(existsSync(repoLock)).toBe(false);
    expect(existsSync(join(dir.path, "data-1", CONTROLLER_LOCK_FILE))).toBe(false);
  });

  it("takes over the lock of a controller that is gone, with a log line", async () => {
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid;
    const data = join(dir.path, "data");
    mkdirSync(data, { recursive: true });
    const lock = join(data, CONTROLLER_LOCK_FILE);
    writeFileSync(lock, JSON.stringify({ pid: gone, host: hostname(), started: "2026-01-01T00:00:00.000Z" }));
    const result = await controller(["--repo", repo.path, "--data-dir", data]).done;
    expect(result.code).toBe(0);
    expect(result.stderr).toContain("taking over the lock of a controller that is gone");
    expect(result.stderr).toContain(`"pid":${gone}`);
    expect(existsSync(lock)).toBe(false);
  });
});
