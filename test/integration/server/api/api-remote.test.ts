/**
 * The REST API on a remote repository (real git over smart HTTP, the test server counting every
 * request) inside a controller (its real source, status store and passes): reads answer from what
 * the process already knows, so GETs cost the git server nothing; a write is seen by the very next
 * GET; a commit someone else pushes is seen once the controller's next pass fetched it; with
 * `--verify-commits` no read ever sees an unverified commit.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { startApi, type RunningApi } from "../../../../src/cli/api-service.js";
import { resolveControllerConfig, type ControllerConfig } from "../../../../src/cli/config.js";
import { openRepository, type OpenRepository } from "../../../../src/cli/open-repo.js";
import { openVerification, type OpenVerification } from "../../../../src/cli/open-verification.js";
import { Controller } from "../../../../src/controller/index.js";
import type { ConfigSource } from "../../../../src/git/types.js";
import { stableJson, statusCommitMessage } from "../../../../src/plan/index.js";
import { createLocalRunner } from "../../../../src/runners/local/index.js";
import type { Runner } from "../../../../src/runners/types.js";
import { ControllerMetrics } from "../../../../src/server/metrics.js";
import { callApi, type ApiAnswer } from "../../../helpers/api-client.js";
import { ConfigRepo, git, sessionYaml, tempDir } from "../../../helpers/config-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../../../helpers/git-http-server.js";
import { commitSigned, makeSshKey, writeAllowedSigners, type SshKey } from "../../../helpers/signing-keys.js";
import { sessionRecord } from "../../cli/cli-harness.js";
import { SITE_CONFIG, TOKENS } from "./api-harness.js";

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** A configuration manifest pinned to a commit (nothing to clone to validate it). */
const configuration = (name: string): string => SITE_CONFIG.replace("name: site", `name: ${name}`);

let dir: { path: string; cleanup: () => void };
let server: GitHttpServer;
let bare: string;
let work: ConfigRepo;
let config: ControllerConfig;
let repo: OpenRepository | null;
let runner: Runner | null;
let verification: OpenVerification | null;
let controller: Controller | null;
let api: RunningApi | null;

beforeEach(async () => {
  dir = tempDir("cfs-api-remote-");
  bare = join(dir.path, "served", "config.git");
  git(dir.path, ["init", "-q", "--bare", "-b", "main", bare]);
  server = await startGitHttpServer({ root: join(dir.path, "served") });
  work = new ConfigRepo(join(dir.path, "work"));
  config = resolveControllerConfig({ repo: server.url("config.git"), dataDir: join(dir.path, "data") }, {});
  repo = runner = verification = controller = api = null;
});

afterEach(async () => {
  await api?.close();
  await controller?.stop();
  await runner?.close();
  await repo?.close();
  await verification?.close();
  await server.close();
  dir.cleanup();
});

/** Someone else commits to the watched branch and pushes it to the server. */
function pushFromElsewhere(files: Record<string, string>): string {
  git(work.path, ["pull", "-q", "--ff-only", bare, "main"]);
  const commit = work.commit(files, "from elsewhere");
  git(work.path, ["push", "-q", bare, "main"]);
  return commit;
}

/** A file of `cfs-status` on the server, or null. */
function statusFile(path: string): string | null {
  try {
    return git(bare, ["show", `cfs-status:${path}`]);
  } catch {
    return null;
  }
}

/** Opens the controller's repository and runner and starts the API on `source` (default the repository's). */
async function startController(
  wrap?: (opened: OpenRepository) => Promise<ConfigSource>,
  pollIntervalMs?: number,
): Promise<void> {
  repo = await openRepository({ config, log, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }) });
  runner = await createLocalRunner({ dataDir: join(dir.path, "data", "runner"), log, maxConcurrent: 1 });
  const source = wrap ? await wrap(repo) : repo.source;
  // No resync within a test: a pass comes from the poll (or the test) only.
  controller = new Controller({ source, status: repo.status, runner, log, resyncMs: 3_600_000 });
  const tokensFile = join(dir.path, "tokens");
  writeFileSync(tokensFile, `${TOKENS.writer} write alice\n`);
  api = await startApi({
    api: {
      listen: { host: "127.0.0.1", port: 0 },
      tls: null,
      tokensFile,
      jwt: null,
      prefix: "/apis/cfs",
      reviewBranch: null,
      writeRate: null,
    },
    repo: config,
    source,
    gitDir: repo.gitDir,
    log,
  });
}

function call(path: string, method = "GET", body?: unknown): Promise<ApiAnswer> {
  if (api === null) throw new Error("the API is not started");
  return callApi({ url: api.server.url, token: TOKENS.writer, method, path, body });
}

/** PUT of configuration `name` with one layer at commit c...c, as a script sends it. */
function putConfiguration(name: string): Promise<ApiAnswer> {
  return call(`/v3/configurations/${name}`, "PUT", {
    layers: [
      { name: "base", clone_url: "https://git.example.org/b.git", commit: "c".repeat(40), playbook: "s.yml" },
    ],
  });
}

/** The status of GET `path`. */
async function statusOf(path: string): Promise<number> {
  return (await call(path)).status;
}

/** A signed seed (site, good) on the server; a controller and API verifying commits against alice's key; one pass. */
async function startVerifiedController(alice: SshKey): Promise<void> {
  const allowed = join(dir.path, "allowed_signers");
  writeAllowedSigners(allowed, [{ principal: "alice@example.org", key: alice }]);
  commitSigned({
    repo: work.path,
    key: alice,
    files: { "configurations/site.yaml": SITE_CONFIG },
    message: "seed",
  });
  commitSigned({
    repo: work.path,
    key: alice,
    files: { "configurations/good.yaml": configuration("good") },
  });
  git(work.path, ["push", "-q", bare, "main"]);
  await startController(async (opened) => {
    verification = await openVerification({
      config: { allowedSigners: allowed, gpgKeyring: null, trustFrom: null },
      source: opened.source,
      status: opened.status,
      gitDir: opened.gitDir,
      dataDir: config.dataDir,
      branch: config.branch,
      log,
      metrics: new ControllerMetrics({ processMetrics: false }),
    });
    return verification.source;
  });
  await controller?.pass();
}

const READS = [
  "/v3/sessions",
  "/v3/sessions?status=pending",
  "/apis/cfs/v3/configurations",
  "/v3/configurations/site",
  "/v3/components",
  "/v3/options",
  "/apis/cfs/healthz",
];

describe("the REST API on a remote repository", () => {
  it("answers GETs from what the controller's pass fetched: not one request to the git server", async () => {
    work.commit({ "configurations/site.yaml": SITE_CONFIG }, "seed");
    git(work.path, ["push", "-q", bare, "main"]);
    await startController();
    await controller?.pass();
    server.reset();
    for (let round = 0; round < 5; round++) {
      for (const path of READS) expect((await call(path)).status, path).toBe(200);
    }
    expect(server.requests).toEqual([]);
  }, 60_000);

  it("fetches each branch once when a read comes before any pass, then answers from the cache", async () => {
    work.commit({ "configurations/site.yaml": SITE_CONFIG }, "seed");
    git(work.path, ["push", "-q", bare, "main"]);
    await startController();
    expect(await statusOf("/v3/sessions")).toBe(200); // reads both branches: each fetched once
    expect(server.requests.length).toBeGreaterThan(0);
    server.reset();
    for (const path of READS) expect(await statusOf(path), path).toBe(200);
    expect(server.requests).toEqual([]);
  }, 60_000);

  it("shows a write in the very next GET: a session created, a configuration put, a status commit pushed", async () => {
    work.commit({ "configurations/site.yaml": SITE_CONFIG }, "seed");
    git(work.path, ["push", "-q", bare, "main"]);
    await startController();
    await controller?.pass();
    expect(await statusOf("/v3/sessions/made")).toBe(404);
    const created = await call("/v3/sessions", "POST", {
      name: "made",
      configuration_name: "site",
      target: { definition: "dynamic", groups: [], image_map: [] },
    });
    expect(created.status, created.text).toBe(201);
    expect(git(bare, ["show", "main:sessions/made.yaml"])).toContain("name: made");
    server.reset();
    const described = await call("/v3/sessions/made");
    expect(described.status, described.text).toBe(200);
    expect(described.json.status.session.status).toBe("pending");
    const listed = (await call("/v3/sessions")).json.sessions as Array<{ name: string }>;
    expect(listed.map((s) => s.name)).toEqual(["made"]);
    expect(server.requests).toEqual([]);

    const put = await putConfiguration("other");
    expect(put.status, put.text).toBe(200);
    server.reset();
    expect(await statusOf("/v3/configurations/other")).toBe(200);
    expect(server.requests).toEqual([]);

    // The controller's status store pushes a record: the API's reads see it at once.
    await repo?.status.commit({
      changes: new Map([
        [
          "sessions/made.json",
          Buffer.from(
            stableJson(sessionRecord({ name: "made", status: "running", start: "2026-01-01T00:00:00Z" })),
          ),
        ],
      ]),
      now: new Date("2026-01-01T00:00:01Z"),
      message: (final) => statusCommitMessage({ changes: final, sourceCommit: null }),
    });
    server.reset();
    expect((await call("/v3/sessions/made")).json.status.session.status).toBe("running");
    expect(server.requests).toEqual([]);
  }, 90_000);

  it("shows a commit someone else pushed once the controller's next pass fetched it, not before", async () => {
    work.commit({ "configurations/site.yaml": SITE_CONFIG }, "seed");
    git(work.path, ["push", "-q", bare, "main"]);
    await startController();
    await controller?.pass();
    pushFromElsewhere({ "configurations/later.yaml": configuration("later") });
    server.reset();
    expect(await statusOf("/v3/configurations/later")).toBe(404);
    expect(server.requests).toEqual([]);
    await controller?.pass(); // what a poll or a webhook starts
    expect(await statusOf("/v3/configurations/later")).toBe(200);
  }, 60_000);

  it("leaves the poll to tell the controller of a new commit: a GET in between neither shows it nor hides it", async () => {
    work.commit({ "configurations/site.yaml": SITE_CONFIG }, "seed");
    git(work.path, ["push", "-q", bare, "main"]);
    await startController(undefined, 500);
    await controller?.start();
    pushFromElsewhere({
      "configurations/later.yaml": configuration("later"),
      "sessions/broken.yaml": sessionYaml("broken", "missing"),
    });
    // Read before the poll notices: the API shows what the controller has, and must not take the
    // new tip away from the poll (the controller then never runs it until a resync).
    expect(await statusOf("/v3/configurations/later")).toBe(404);
    const deadline = Date.now() + 60_000;
    while (statusFile("problems/sessions/broken.yaml.json") === null && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(statusFile("problems/sessions/broken.yaml.json")).toContain("missing");
    expect(await statusOf("/v3/configurations/later")).toBe(200);
  }, 90_000);

  it("with --verify-commits shows the API's own signed commit in the next GET, checked with no request", async () => {
    const alice = makeSshKey(join(dir.path, "keys"), "alice");
    await startVerifiedController(alice);
    // The API signs its commits as alice (git config of the cache repository, as a site sets it).
    const gitDir = repo?.gitDir ?? "";
    git(gitDir, ["config", "gpg.format", "ssh"]);
    git(gitDir, ["config", "user.signingkey", alice.privateKey]);
    git(gitDir, ["config", "commit.gpgsign", "true"]);
    const put = await putConfiguration("via-api");
    expect(put.status, put.text).toBe(200);
    server.reset();
    expect(await statusOf("/v3/configurations/via-api")).toBe(200);
    expect(server.requests).toEqual([]);
  }, 90_000);

  it("with --verify-commits never serves an unverified commit, fetched or written through the API", async () => {
    const alice = makeSshKey(join(dir.path, "keys"), "alice");
    await startVerifiedController(alice);
    expect(await statusOf("/v3/configurations/good")).toBe(200);

    commitSigned({
      repo: work.path,
      key: null,
      files: { "configurations/evil.yaml": configuration("evil") },
    });
    git(work.path, ["push", "-q", bare, "main"]);
    await controller?.pass();
    expect(await statusOf("/v3/configurations/evil")).toBe(404);
    expect(await statusOf("/v3/configurations/good")).toBe(200);

    // The API's own (unsigned) commit moves the cache's tip past the verified one: committed, held
    // back like any other (a 202 that says so), and not served.
    const put = await putConfiguration("via-api");
    expect(put.status, put.text).toBe(202);
    expect(put.json.commit).toBe(git(bare, ["rev-parse", "main"]));
    expect(put.json.detail).toContain("commit verification holds the branch back");
    expect(git(bare, ["show", "main:configurations/via-api.yaml"])).toContain("c".repeat(40));
    server.reset();
    expect(await statusOf("/v3/configurations/via-api")).toBe(404);
    expect(await statusOf("/v3/configurations/evil")).toBe(404);
    expect(server.requests).toEqual([]);
  }, 90_000);
});
