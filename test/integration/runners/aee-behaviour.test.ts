/**
 * The local runner runs playbooks the way CFS's ansible execution environment does: real git, real
 * ansible-playbook. `cray_cfs_image` is false in node sessions; a named ansible config must exist;
 * a layer without commit or branch runs the default branch; clones are tried again while the git
 * server answers 503 (a server restarting) and give up naming the repository.
 */
import { readFileSync } from "node:fs";
import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { SessionManifest } from "../../../src/api/index.js";
import { createLocalRunner, type LocalRunnerOptions } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import {
  isComplete,
  layer,
  makeLayerRepo,
  play,
  pushCommit,
  runSpec,
  tempDir,
  waitForRun,
  writeFilePlaybook,
} from "../../helpers/ansible-fixtures.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";

const runners: Runner[] = [];
const closers: Array<() => Promise<void>> = [];

async function newRunner(dataDir: string, extra: Partial<LocalRunnerOptions> = {}): Promise<Runner> {
  const runner = await createLocalRunner({
    dataDir,
    log: pino({ level: "silent" }),
    maxConcurrent: 2,
    killGraceMs: 2_000,
    ...extra,
  });
  runners.push(runner);
  return runner;
}

afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.close();
  for (const close of closers.splice(0)) await close();
});

function stepLog(dataDir: string, job: string, step: string): string {
  return readFileSync(join(dataDir, "runs", job, "logs", `${step}.log`), "utf8");
}

/**
 * An HTTP proxy in front of the git server that answers the first `failures` requests with 503, as
 * a git server in a restarting pod does; counts what it refused.
 */
async function flakyProxy(
  upstream: GitHttpServer,
  failures: number,
): Promise<{ url(name: string): string; refused(): number }> {
  let refused = 0;
  const target = new URL(upstream.url("x"));
  const server: Server = createServer((req, res) => {
    if (refused < failures) {
      refused += 1;
      req.resume();
      res.writeHead(503, { "Content-Type": "text/plain" });
      res.end("restarting\n");
      return;
    }
    const forward = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  const { port } = server.address() as AddressInfo;
  return { url: (name) => `http://127.0.0.1:${port}/${name}`, refused: () => refused };
}

describe("local runner: the ansible execution environment's behaviour", () => {
  it("defines cray_cfs_image false for every host of a node session", async () => {
    const root = tempDir();
    const out = join(root, "out.txt");
    const repo = makeLayerRepo(root, "layer", {
      "site.yml": play(
        `    - name: only on live nodes\n      when: not cray_cfs_image\n      ansible.builtin.copy:\n        content: "node {{ cray_cfs_image }}\\n"\n        dest: "${out}"\n`,
      ),
    });
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const spec = runSpec("node", [
      layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" }),
    ]);

    await runner.start(spec);
    const obs = await waitForRun(runner, "node", isComplete);

    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(readFileSync(out, "utf8")).toBe("node False\n");
  });

  it("fails the session, naming the config, when the named ansible config does not exist", async () => {
    const root = tempDir();
    const repo = makeLayerRepo(root, "layer", {
      "site.yml": writeFilePlaybook(join(root, "never.txt"), "x"),
    });
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const session: SessionManifest = {
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "named-config",
      configuration: { name: "c" },
      ansible: { config: "site-cfg" },
    };
    const spec = runSpec(
      "named-config",
      [layer(0, { clone_url: repo.path, commit: repo.commit, playbook: "site.yml" })],
      {
        session,
        ansibleConfig: "site-cfg",
        ansibleConfigText: null,
      },
    );

    await runner.start(spec);
    const obs = await waitForRun(runner, "named-config", isComplete);

    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toBe(
      'inventory: ansible config "site-cfg" does not exist: the repository has no ansible-configs/site-cfg.cfg (CFS fails the session too): add that file, or name an existing config in ansible.config (empty uses cfs-default-ansible-cfg)',
    );
    expect(obs.steps.find((s) => s.name === "ansible-0")?.status).not.toBe("succeeded");
  });

  it("runs the default branch of a layer that gives neither commit nor branch", async () => {
    const root = tempDir();
    const out = join(root, "out.txt");
    makeLayerRepo(root, "layer", { "site.yml": writeFilePlaybook(out, "old") });
    const tip = pushCommit(root, "layer", { "site.yml": writeFilePlaybook(out, "default branch tip") });
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir);
    const spec = runSpec("no-ref", [layer(0, { clone_url: join(root, "layer.git"), playbook: "site.yml" })]);

    await runner.start(spec);
    const obs = await waitForRun(runner, "no-ref", isComplete);

    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(obs.layers[0]?.commit).toBe(tip);
    expect(readFileSync(out, "utf8")).toBe("default branch tip\n");
  });

  it("tries a clone again while the git server answers 503, then runs the layer", async () => {
    const root = tempDir();
    const out = join(root, "out.txt");
    makeLayerRepo(root, "layer", { "site.yml": writeFilePlaybook(out, "after retries") });
    const server = await startGitHttpServer({ root });
    closers.push(() => server.close());
    const proxy = await flakyProxy(server, 2);
    const waits: number[] = [];
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir, {
      cloneRetry: { attempts: 5, delayMs: 100, maxDelayMs: 150 },
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const url = proxy.url("layer.git");
    const spec = runSpec("flaky", [layer(0, { clone_url: url, branch: "main", playbook: "site.yml" })]);

    await runner.start(spec);
    const obs = await waitForRun(runner, "flaky", isComplete);

    expect(obs).toMatchObject({ succeeded: "true", reason: null });
    expect(proxy.refused()).toBe(2);
    expect(waits.filter(isRetryWait)).toEqual([100, 150]);
    expect(readFileSync(out, "utf8")).toBe("after retries\n");
    const log = stepLog(dataDir, spec.job, "git-clone-0");
    expect(log).toContain(`git-clone-0: try 1 of 5 for ${url} failed; trying again in 0.1 s`);
    expect(log).toContain(`git-clone-0: try 2 of 5 for ${url} failed; trying again in 0.15 s`);
  });

  it("gives up after the configured tries with a reason naming the repository", async () => {
    const root = tempDir();
    makeLayerRepo(root, "layer", { "site.yml": writeFilePlaybook(join(root, "never.txt"), "x") });
    const server = await startGitHttpServer({ root });
    closers.push(() => server.close());
    const proxy = await flakyProxy(server, 1_000);
    const dataDir = join(root, "data");
    const runner = await newRunner(dataDir, {
      cloneRetry: { attempts: 3, delayMs: 1, maxDelayMs: 1 },
      sleep: () => Promise.resolve(),
    });
    const url = proxy.url("layer.git");
    const spec = runSpec("down", [layer(0, { clone_url: url, branch: "main", playbook: "site.yml" })]);

    await runner.start(spec);
    const obs = await waitForRun(runner, "down", isComplete);

    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toMatch(
      new RegExp(
        `^git-clone-0: could not resolve the branch of ${url.replace(/[.]/g, "\\.")}: .*503.* \\(gave up after 3 tries\\)$`,
      ),
    );
    expect(proxy.refused()).toBe(3);
  });

  it("does not try again when the repository does not exist", async () => {
    const root = tempDir();
    const server = await startGitHttpServer({ root });
    closers.push(() => server.close());
    const dataDir = join(root, "data");
    const waits: number[] = [];
    const runner = await newRunner(dataDir, {
      cloneRetry: { attempts: 5, delayMs: 1, maxDelayMs: 1 },
      sleep: (ms) => {
        waits.push(ms);
        return Promise.resolve();
      },
    });
    const spec = runSpec("missing", [
      layer(0, { clone_url: server.url("missing.git"), branch: "main", playbook: "site.yml" }),
    ]);

    await runner.start(spec);
    const obs = await waitForRun(runner, "missing", isComplete);

    expect(obs.succeeded).toBe("false");
    expect(obs.reason).toContain(`could not resolve the branch of ${server.url("missing.git")}`);
    expect(obs.reason).not.toContain("gave up");
    expect(waits.filter(isRetryWait)).toEqual([]);
  });
});

/**
 * The runner's own process polls (50 ms: a step's claim, a group going away) go through the same
 * injected sleep as the clone retries; the retry delays of these tests are other values.
 */
function isRetryWait(ms: number): boolean {
  return ms !== 50;
}
