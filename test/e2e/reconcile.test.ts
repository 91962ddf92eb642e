import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONTROLLER_LOCK_FILE } from "../../src/cli/controller-lock.js";
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
import { runIn } from "../integration/cli/cli-harness.js";
import { waitFor } from "./harness.js";

/**
 * `cfs-gitops reconcile` makes a running controller (the built CLI, polling its remote only once
 * an hour) take a pass now: a session pushed after its first pass is run without waiting for the poll.
 */
const CLI = resolve("dist/src/cli/main.js");
let dir: { path: string; cleanup: () => void };
let server: GitHttpServer;
let work: ConfigRepo;
let bare: string;
let url: string;
let controller: ChildProcess | null = null;

const statusOf = (name: string): string | null => {
  try {
    return git(bare, ["show", `cfs-status:sessions/${name}.json`]);
  } catch {
    return null;
  }
};

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first (npm test does)`);
  dir = tempDir("cfs-reconcile-");
  const layer = makeLayerRepo(dir.path, "base", {
    "site.yml": playbook({ file: join(dir.path, "marks.txt"), line: "ok" }),
  });
  work = new ConfigRepo(join(dir.path, "work"));
  work.commit({
    "configurations/good.yaml": configurationYaml("good", [{ name: "base", url: layer }]),
    "sessions/first.yaml": sessionYaml("first", "good"),
  });
  bare = join(dir.path, "served", "site.git");
  git(dir.path, ["clone", "-q", "--bare", work.path, bare]);
  server = await startGitHttpServer({ root: join(dir.path, "served") });
  url = server.url("site.git");
});

afterAll(async () => {
  if (controller?.exitCode === null) {
    const exited = new Promise((done) => controller?.once("close", done));
    controller.kill("SIGTERM");
    await exited;
  }
  await server?.close();
  dir?.cleanup();
});

const run = (argv: string[]) =>
  runIn({ argv, options: { realTime: true }, url, dir: dir.path, home: join(dir.path, "home") });

describe("cfs-gitops reconcile", () => {
  it("says no controller is running when none holds the data directory", async () => {
    const result = await run(["reconcile"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /^cfs-gitops: no controller is running for http:\/\/127\.0\.0\.1:\d+\/site\.git here/,
    );
  });

  it("makes a controller that polls once an hour take the pass now", async () => {
    const data = join(dir.path, "data");
    controller = spawn(
      process.execPath,
      [CLI, "controller", "--repo", url, "--data-dir", data, "--poll-interval", "1h", "--log-level", "warn"],
      {
        stdio: ["ignore", "ignore", "inherit"],
      },
    );
    await waitFor(() => statusOf("first")?.includes('"status": "complete"') ?? false, {
      what: "the first session, run in the controller's first pass",
      timeoutMs: 120_000,
    });
    expect(existsSync(join(data, CONTROLLER_LOCK_FILE))).toBe(true);
    work.commit({ "sessions/second.yaml": sessionYaml("second", "good") });
    git(work.path, ["push", "-q", bare, "main"]);
    const result = await run(["reconcile", "--data-dir", data]);
    expect(result.stderr).toBe(`asked the controller (pid ${controller.pid}) to reconcile now\n`);
    expect(result.code).toBe(0);
    await waitFor(() => statusOf("second") !== null, {
      what: "the second session's record",
      timeoutMs: 120_000,
    });
  });
});
