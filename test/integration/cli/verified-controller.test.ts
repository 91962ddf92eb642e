/**
 * `--verify-commits` end to end: the real controller on a local repository whose commits are signed
 * (or not) with SSH keys made here, the verification layer wired as `cfs-gitops controller` wires
 * it, the real status branch and the local runner with real ansible-playbook.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { openVerification, type OpenVerification } from "../../../src/cli/open-verification.js";
import { Controller } from "../../../src/controller/index.js";
import { createLocalSource } from "../../../src/git/local-source.js";
import { createStatusStore } from "../../../src/git/status-store.js";
import type { ConfigSource, StatusStore } from "../../../src/git/types.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import type { Runner } from "../../../src/runners/types.js";
import { ControllerMetrics } from "../../../src/server/metrics.js";
import {
  ConfigRepo,
  configurationYaml,
  git,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../../helpers/config-repo.js";
import { commitSigned, makeSshKey, writeAllowedSigners, type SshKey } from "../../helpers/signing-keys.js";

let dir: { path: string; cleanup: () => void };
let repo: ConfigRepo;
let alice: SshKey;
let bob: SshKey;
let allowedSigners: string;
let out: string;
let layer: string;
let opened: Array<() => Promise<void>>;

beforeEach(() => {
  dir = tempDir("cfs-verified-");
  repo = new ConfigRepo(join(dir.path, "config"));
  alice = makeSshKey(join(dir.path, "keys"), "alice");
  bob = makeSshKey(join(dir.path, "keys"), "bob");
  allowedSigners = join(dir.path, "allowed_signers");
  writeAllowedSigners(allowedSigners, [
    { principal: "alice@example.org", key: alice },
    { principal: "bob@example.org", key: bob },
  ]);
  out = join(dir.path, "ran.txt");
  layer = makeLayerRepo(dir.path, "base", { "site.yml": playbook({ file: out, line: "{{ who }}" }) });
  opened = [];
});

afterEach(async () => {
  for (const close of opened.reverse()) await close();
  dir.cleanup();
});

/** The controller as `cfs-gitops controller --verify-commits --allowed-signers FILE` wires it. */
async function startController(): Promise<{
  controller: Controller;
  verification: OpenVerification;
  metrics: ControllerMetrics;
}> {
  const log = pino({ level: process.env["TEST_LOG_LEVEL"] ?? "silent" });
  const source: ConfigSource & { gitDir: string } = await createLocalSource({
    path: repo.path,
    branch: "main",
    log,
  });
  const status: StatusStore = await createStatusStore({ gitDir: source.gitDir, branch: "cfs-status", log });
  const runner: Runner = await createLocalRunner({
    dataDir: join(dir.path, "data", "runner"),
    log,
    maxConcurrent: 2,
  });
  const metrics = new ControllerMetrics({ processMetrics: false });
  const verification = await openVerification({
    config: { allowedSigners, gpgKeyring: null, trustFrom: null },
    source,
    status,
    gitDir: source.gitDir,
    dataDir: join(dir.path, "data"),
    branch: "main",
    log,
    metrics,
  });
  const controller = new Controller({ source: verification.source, status, runner, log });
  opened.push(async () => {
    await controller.stop();
    await runner.close();
    await source.close();
    await status.close();
    await verification.close();
  });
  return { controller, verification, metrics };
}

function sessionsRan(): string[] {
  try {
    return readFileSync(out, "utf8").trim().split("\n").sort();
  } catch {
    return [];
  }
}

function record(name: string): { status: { session: { status: string; succeeded: string } } } | null {
  const text = repo.statusFile(`sessions/${name}.json`);
  return text === null
    ? null
    : (JSON.parse(text) as { status: { session: { status: string; succeeded: string } } });
}

function unverifiedFiles(): string[] {
  const listing = git(repo.path, ["ls-tree", "--name-only", "cfs-status", "unverified/"]);
  return listing === "" ? [] : listing.split("\n");
}

async function gauge(metrics: ControllerMetrics, name: string): Promise<number> {
  const { body } = await metrics.render();
  const line = body.split("\n").find((l) => l.startsWith(`${name} `));
  return line === undefined ? Number.NaN : Number(line.slice(name.length + 1));
}

const configuration = (): Record<string, string> => ({
  "configurations/base.yaml": configurationYaml("base", [{ name: "base", url: layer }]),
});
/** A session whose run appends its name to `out`. */
const session = (name: string): Record<string, string> => ({
  [`sessions/${name}.yaml`]: sessionYaml(name, "base", `ansible:\n  passthrough: "-e who=${name}"\n`),
});

describe("controller --verify-commits", () => {
  it("runs signed sessions; holds an unsigned commit and everything on top of it until a signed commit approves it", async () => {
    commitSigned({
      repo: repo.path,
      key: alice,
      files: { ...configuration(), ...session("s1") },
      message: "s1",
    });
    const { controller, verification, metrics } = await startController();
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);
    expect(record("s1")?.status.session).toMatchObject({ status: "complete", succeeded: "true" });

    const unsigned = commitSigned({
      repo: repo.path,
      key: null,
      files: session("s2"),
      message: "s2, unsigned",
    });
    commitSigned({ repo: repo.path, key: alice, files: session("s3"), message: "s3, signed on top" });
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);
    expect(record("s2")).toBeNull();
    expect(record("s3")).toBeNull();
    expect(unverifiedFiles()).toEqual([`unverified/${unsigned}.json`]);
    const problem = JSON.parse(repo.statusFile(`unverified/${unsigned}.json`) ?? "{}") as Record<
      string,
      unknown
    >;
    expect(problem).toMatchObject({
      commit: unsigned,
      author: "Test Author <author@example.org>",
      reason: "unsigned",
    });
    expect(repo.statusLog()[0]).toContain(`Cfs-Unverified: ${unsigned} unsigned`);
    expect(verification.readiness?.()).toMatchObject({ blocking: 1 });
    expect(verification.readiness?.().message).toContain(
      `${unsigned.slice(0, 12)} by Test Author <author@example.org> is unsigned`,
    );
    expect(await gauge(metrics, "cfs_gitops_unverified_commits")).toBe(1);

    commitSigned({ repo: repo.path, key: alice, message: `approve s2\n\nCfs-Approve: ${unsigned}` });
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1", "s2", "s3"]);
    expect(unverifiedFiles()).toEqual([]);
    expect(verification.readiness?.()).toMatchObject({ blocking: 0 });
    expect(await gauge(metrics, "cfs_gitops_unverified_commits")).toBe(0);
  });

  it("runs nothing from a force-push to an unsigned history, and keeps what it had", async () => {
    const signed = commitSigned({
      repo: repo.path,
      key: alice,
      files: { ...configuration(), ...session("s1") },
    });
    const { controller } = await startController();
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);

    git(repo.path, ["checkout", "-q", "--orphan", "rewritten"]);
    const rewritten = commitSigned({
      repo: repo.path,
      key: null,
      files: { ...configuration(), ...session("evil") },
      message: "rewritten",
    });
    git(repo.path, ["update-ref", "refs/heads/main", rewritten, signed]);
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);
    expect(record("evil")).toBeNull();
    expect(record("s1")?.status.session.status).toBe("complete");
    expect(unverifiedFiles()).toEqual([`unverified/${rewritten}.json`]);
  });

  it("stops running a key's commits once it is removed from the allowed signers, also after a restart", async () => {
    commitSigned({
      repo: repo.path,
      key: bob,
      files: { ...configuration(), ...session("s1") },
      message: "by bob",
    });
    const first = await startController();
    expect(await first.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);

    writeAllowedSigners(allowedSigners, [{ principal: "alice@example.org", key: alice }]);
    const late = commitSigned({
      repo: repo.path,
      key: bob,
      files: session("s2"),
      message: "by bob, removed",
    });
    expect(await first.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);
    expect(JSON.parse(repo.statusFile(`unverified/${late}.json`) ?? "{}")).toMatchObject({
      reason: "unknown-key",
    });
    await first.controller.stop();

    // A restart starts from the last verified commit kept in the data directory: bob's earlier
    // commit is not judged again, only the new one holds the branch back.
    const second = await startController();
    await second.controller.pass();
    expect(second.verification.readiness?.()).toMatchObject({ blocking: 1 });
    expect(record("s1")?.status.session.status).toBe("complete");
    expect(record("s2")).toBeNull();
  });

  it("lets a held commit in once its key is added to the allowed signers, without a new push", async () => {
    writeAllowedSigners(allowedSigners, [{ principal: "alice@example.org", key: alice }]);
    const byBob = commitSigned({
      repo: repo.path,
      key: bob,
      files: { ...configuration(), ...session("s1") },
    });
    const { controller, verification } = await startController();
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual([]);
    expect(unverifiedFiles()).toEqual([`unverified/${byBob}.json`]);

    writeAllowedSigners(allowedSigners, [
      { principal: "alice@example.org", key: alice },
      { principal: "bob@example.org", key: bob },
    ]);
    expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
    expect(sessionsRan()).toEqual(["s1"]);
    expect(unverifiedFiles()).toEqual([]);
    expect(verification.readiness?.()).toMatchObject({ blocking: 0 });
  });
});
