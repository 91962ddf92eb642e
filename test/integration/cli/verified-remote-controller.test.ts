/**
 * `--verify-commits` on a remote over real smart HTTP: the commits are verified in the controller's
 * cache after the fetch, and the record of an unverified commit is pushed to the remote status branch.
 */
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openRepository, type OpenRepository } from "../../../src/cli/open-repo.js";
import { openVerification, type OpenVerification } from "../../../src/cli/open-verification.js";
import { resolveControllerConfig } from "../../../src/cli/config.js";
import { Controller } from "../../../src/controller/index.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import { ControllerMetrics } from "../../../src/server/metrics.js";
import { ConfigRepo, git, sessionYaml, tempDir } from "../../helpers/config-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../../helpers/git-http-server.js";
import { commitSigned, makeSshKey, writeAllowedSigners, type SshKey } from "../../helpers/signing-keys.js";

let dir: { path: string; cleanup: () => void };
let server: GitHttpServer;
let work: ConfigRepo;
let bare: string;
let alice: SshKey;
let allowed: string;
let repo: OpenRepository | null = null;
let runner: Runner | null = null;
let verification: OpenVerification | null = null;

beforeEach(async () => {
  dir = tempDir("cfs-verified-remote-");
  bare = join(dir.path, "served", "config.git");
  git(dir.path, ["init", "-q", "--bare", "-b", "main", bare]);
  server = await startGitHttpServer({ root: join(dir.path, "served") });
  work = new ConfigRepo(join(dir.path, "work"));
  alice = makeSshKey(join(dir.path, "keys"), "alice");
  allowed = join(dir.path, "allowed_signers");
  writeAllowedSigners(allowed, [{ principal: "alice@example.org", key: alice }]);
});

afterEach(async () => {
  await runner?.close();
  await repo?.close();
  await verification?.close();
  await server.close();
  dir.cleanup();
});

function remoteFile(path: string): string | null {
  try {
    return git(bare, ["show", `cfs-status:${path}`]);
  } catch {
    return null;
  }
}

describe("controller --verify-commits on a remote", () => {
  it("takes in the signed commit, holds the unsigned one and pushes its record", async () => {
    const log = pino({ level: "silent" });
    const config = resolveControllerConfig(
      { repo: server.url("config.git"), dataDir: join(dir.path, "data") },
      {},
    );
    commitSigned({
      repo: work.path,
      key: alice,
      files: { "sessions/a.yaml": sessionYaml("a", "missing") },
      message: "a",
    });
    const unsigned = commitSigned({
      repo: work.path,
      key: null,
      files: { "sessions/b.yaml": sessionYaml("b", "missing") },
    });
    git(work.path, ["push", "-q", bare, "main"]);

    repo = await openRepository({ config, log });
    runner = await createLocalRunner({ dataDir: join(dir.path, "data", "runner"), log, maxConcurrent: 1 });
    verification = await openVerification({
      config: { allowedSigners: allowed, gpgKeyring: null, trustFrom: null },
      source: repo.source,
      status: repo.status,
      gitDir: repo.gitDir,
      dataDir: config.dataDir,
      branch: config.branch,
      log,
      metrics: new ControllerMetrics({ processMetrics: false }),
    });
    const controller = new Controller({ source: verification.source, status: repo.status, runner, log });
    await controller.pass();
    await controller.stop();

    // Session a's manifest (signed) is taken in: its unknown configuration is a problem; b's is not read.
    expect(remoteFile("problems/sessions/a.yaml.json")).toContain("missing");
    expect(remoteFile("problems/sessions/b.yaml.json")).toBeNull();
    expect(JSON.parse(remoteFile(`unverified/${unsigned}.json`) ?? "{}")).toMatchObject({
      commit: unsigned,
      reason: "unsigned",
      author: "Test Author <author@example.org>",
    });
  });
});
