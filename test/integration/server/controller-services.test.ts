/**
 * The controller as deployed, minus Kubernetes: a remote repository over real smart HTTP, polled
 * only once an hour, so only the push webhook can make the controller see a new commit quickly;
 * readiness follows the last fetch; metrics count what happened.
 */
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { resolveControllerConfig } from "../../../src/cli/config.js";
import { ControllerServices } from "../../../src/cli/controller-services.js";
import { openRepository, type OpenRepository } from "../../../src/cli/open-repo.js";
import { Controller } from "../../../src/controller/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import { hmacSha256Hex, type SupervisionOutcome } from "../../../src/server/index.js";
import { ConfigRepo, git, sessionYaml, tempDir } from "../../helpers/config-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";

const credentials = { username: "cfs-bot", password: "s3cret-Tok3n-Xy" };
const SECRET = "hook-secret";

let dir: { path: string; cleanup: () => void };
let gitServer: GitHttpServer;
let work: ConfigRepo;
let bare: string;
let logText: string[];
let repo: OpenRepository | null;
let runner: Runner | null;
let stop: AbortController;
let running: Promise<SupervisionOutcome> | null;

beforeEach(async () => {
  dir = tempDir("cfs-services-");
  logText = [];
  bare = join(dir.path, "served", "config.git");
  git(dir.path, ["init", "-q", "--bare", "-b", "main", bare]);
  gitServer = await startGitHttpServer({ root: join(dir.path, "served"), auth: credentials });
  work = new ConfigRepo(join(dir.path, "work"));
  repo = null;
  runner = null;
  running = null;
  stop = new AbortController();
});

afterEach(async () => {
  stop.abort();
  await running;
  await runner?.close();
  await repo?.close();
  await gitServer.close();
  dir.cleanup();
});

function push(): void {
  git(work.path, ["push", "-q", bare, "main"]);
}

function remoteFile(path: string): string | null {
  try {
    return git(bare, ["show", `cfs-status:${path}`]);
  } catch {
    return null;
  }
}

async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts the controller with its services the way `cfs-gitops controller` wires them. */
async function startServices(): Promise<ControllerServices> {
  const log = pino({ level: "debug" }, { write: (line: string) => void logText.push(line) });
  const config = resolveControllerConfig(
    {
      repo: gitServer.url("config.git"),
      dataDir: join(dir.path, "data"),
      pollInterval: "1h",
      listen: "127.0.0.1:0",
    },
    {
      CFS_GITOPS_GIT_USERNAME: credentials.username,
      CFS_GITOPS_GIT_PASSWORD: credentials.password,
      CFS_GITOPS_WEBHOOK_SECRET: SECRET,
    },
  );
  repo = await openRepository({ config, log, pollIntervalMs: config.pollIntervalMs });
  const services = new ControllerServices({
    config,
    log,
    gitDir: repo.gitDir,
    metrics: { processMetrics: false },
  });
  runner = await createLocalRunner({ dataDir: join(dir.path, "data", "runner"), log, maxConcurrent: 1 });
  const controller: Controller = new Controller({
    ...services.instrument({ source: repo.source, status: repo.status, runner }),
    log,
    onPass: (report) => services.recordPass(report, controller.records, controller.health),
    onFailure: (failure) => services.recordFailure(failure, controller.health),
  });
  running = services.run({ controller, runner, signal: stop.signal, loopHealth: () => controller.health });
  await until(() => services.httpServer !== null, "the HTTP server");
  return services;
}

function signedPush(ref: string) {
  const body = JSON.stringify({ ref, after: "0".repeat(40) });
  return {
    method: "POST",
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": "push",
      "x-hub-signature-256": `sha256=${hmacSha256Hex(SECRET, Buffer.from(body))}`,
    },
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

describe("controller services on a polled remote", () => {
  it("is ready after the first fetch, and a push webhook makes the controller see a new commit at once", async () => {
    work.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
    push();
    const services = await startServices();
    const url = services.httpServer!.url;
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, "readiness");
    expect(await (await fetch(`${url}/readyz`)).text()).toContain("[+]git-fetch ok: last fetch succeeded");

    work.commit({ "sessions/orphan.yaml": sessionYaml("orphan", "missing-config") });
    push();
    const ignored = await fetch(`${url}/hooks/git`, signedPush("refs/heads/feature"));
    expect(ignored.status).toBe(200);
    const accepted = await fetch(`${url}/hooks/git`, signedPush("refs/heads/main"));
    expect(accepted.status).toBe(202);
    await until(
      () => remoteFile("problems/sessions/orphan.yaml.json") !== null,
      "the problem on the status branch",
    );
    expect(remoteFile("problems/sessions/orphan.yaml.json")).toContain("missing-config");

    expect(await metric(url, "cfs_gitops_git_fetch_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    // The remote has the commit a moment before the push call returns and is counted.
    await until(
      async () => (await metric(url, "cfs_gitops_git_push_duration_seconds_count")) >= 1,
      "push metric",
    );
    expect(await metric(url, "cfs_gitops_pass_duration_seconds_count")).toBeGreaterThanOrEqual(2);
    expect(await metric(url, "cfs_gitops_git_fetch_failures_total")).toBe(0);
    expect(await metric(url, "cfs_gitops_leader")).toBe(1);
  });

  it("turns unready, naming the failed fetch without the credentials, when the remote refuses them", async () => {
    work.commit({ "cfs.yaml": "apiVersion: cfs-gitops/v1\nkind: Options\n" });
    push();
    const services = await startServices();
    const url = services.httpServer!.url;
    await until(async () => (await fetch(`${url}/readyz`)).status === 200, "readiness");

    gitServer.setAuth({ username: "cfs-bot", password: "rotated" });
    expect((await fetch(`${url}/hooks/git`, signedPush("refs/heads/main"))).status).toBe(202);
    await until(async () => (await fetch(`${url}/readyz`)).status === 503, "unreadiness");
    const body = await (await fetch(`${url}/readyz`)).text();
    expect(body).toMatch(/\[-\]git-fetch failed: last fetch failed: Git\w+Error: /);
    await until(async () => (await fetch(`${url}/readyz`)).text().then((t) => t.includes("[-]loop")), "loop");
    const loop = (await (await fetch(`${url}/readyz`)).text())
      .split("\n")
      .find((l) => l.startsWith("[-]loop"));
    expect(loop).toMatch(
      /^\[-\]loop failed: stalled \(pass: .*refused the credentials.*\); retried at the next resync/,
    );
    expect(body).not.toContain(credentials.password);
    expect(loop).not.toContain(credentials.password);
    expect(await metric(url, "cfs_gitops_git_fetch_failures_total")).toBeGreaterThanOrEqual(1);
    expect(await metric(url, 'cfs_gitops_loop_state{state="stalled"}')).toBe(1);
    expect(await metric(url, 'cfs_gitops_loop_state{state="ok"}')).toBe(0);
    expect(
      await metric(url, 'cfs_gitops_failures_total{scope="pass",class="stalling"}'),
    ).toBeGreaterThanOrEqual(1);

    stop.abort();
    expect(await running).toBe("stopped");
    expect(services.httpServer).toBeNull();
    expect(logText.join("\n")).not.toContain(credentials.password);
  });
});
