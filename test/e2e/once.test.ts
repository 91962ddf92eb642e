import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ConfigRepo,
  configurationYaml,
  git,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../helpers/config-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../helpers/git-http-server.js";

/** `controller --once` as a user runs it: the built CLI in a process of its own, exit code and stderr. */
const CLI = resolve("dist/src/cli/main.js");
const PASSWORD = "0nce-S3cret-pw";

let dir: { path: string; cleanup: () => void };
let server: GitHttpServer | null = null;

beforeEach(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-once-");
});

afterEach(async () => {
  await server?.close();
  server = null;
  dir.cleanup();
});

function once(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    [CLI, "controller", "--once", "--data-dir", join(dir.path, "data"), "--log-level", "silent", ...args],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...env } },
  );
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  return new Promise((done) => child.once("close", (code) => done({ code, stderr })));
}

/** A bare repository with one commit on main, served over HTTP with basic auth. */
async function servedRepo(): Promise<string> {
  const root = join(dir.path, "served");
  const work = new ConfigRepo(join(dir.path, "work"));
  work.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
  git(dir.path, ["clone", "-q", "--bare", work.path, join(root, "config.git")]);
  server = await startGitHttpServer({ root, auth: { username: "bot", password: PASSWORD } });
  return server.url("config.git");
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, "127.0.0.1", done));
  const address = probe.address();
  await new Promise((done) => probe.close(done));
  return typeof address === "object" && address !== null ? address.port : 1;
}

describe("controller --once", () => {
  it("exits 1 with one line when the remote refuses the credentials, without the password", async () => {
    const url = await servedRepo();
    const result = await once(["--repo", url], {
      CFS_GITOPS_GIT_USERNAME: "bot",
      CFS_GITOPS_GIT_PASSWORD: "wrong-password",
    });
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cfs-gitops: controller --once: the pass failed: .*refused the credentials/);
    expect(result.stderr).not.toContain("wrong-password");
  });

  it("exits 0 on the same remote with the right credentials", async () => {
    const url = await servedRepo();
    const result = await once(["--repo", url], {
      CFS_GITOPS_GIT_USERNAME: "bot",
      CFS_GITOPS_GIT_PASSWORD: PASSWORD,
    });
    expect(result).toEqual({ code: 0, stderr: "" });
  });

  it("exits 1 when the watched branch does not exist", async () => {
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
    const result = await once(["--repo", repo.path, "--branch", "production"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(
        /^cfs-gitops: controller --once: the pass failed: the watched branch does not exist/,
      ),
    ]);
  });

  it("retries an unreachable remote until --timeout, then exits 1 saying why", async () => {
    const port = await closedPort();
    const result = await once(["--repo", `http://127.0.0.1:${port}/config.git`, "--timeout", "3s"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toEqual([
      expect.stringMatching(/^cfs-gitops: controller --once: the pass failed: .*127\.0\.0\.1/),
    ]);
  });

  it("exits 1 naming the unfinished sessions when --timeout runs out first", async () => {
    const marks = join(dir.path, "marks.txt");
    const slow = makeLayerRepo(dir.path, "slow", {
      "site.yml": playbook({ file: marks, line: "x", sleep: 4 }),
    });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "configurations/slow.yaml": configurationYaml("slow", [{ name: "slow", url: slow }]),
      "sessions/slow-one.yaml": sessionYaml("slow-one", "slow"),
    });
    const result = await once(["--repo", repo.path, "--timeout", "1s"]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(
      "cfs-gitops: controller --once: timed out after 1s with 1 session(s) unfinished: slow-one",
    );
  });

  it("refuses a --timeout that is not a duration with exit code 2", async () => {
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
    const bad = await once(["--repo", repo.path, "--timeout", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe("cfs-gitops: --timeout soon: not a duration (use e.g. 90s, 30m, 2h)");
  });
});
