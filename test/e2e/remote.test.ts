import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../src/api/index.js";
import { resolveRepoConfig } from "../../src/cli/config.js";
import { openRepository, type OpenRepository } from "../../src/cli/open-repo.js";
import { Controller } from "../../src/controller/index.js";
import { createLocalRunner } from "../../src/runners/local/index.js";
import type { Runner } from "../../src/runners/types.js";
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

const credentials = { username: "cfs-bot", password: "s3cret-Tok3n-Xy" };

let dir: { path: string; cleanup: () => void };
let server: GitHttpServer;
let work: ConfigRepo;
let bare: string;
let logText: string[];
let repo: OpenRepository | null = null;
let runner: Runner | null = null;
let controller: Controller | null = null;

/** Pushes the work repository's main to the served bare repository. */
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

async function startController(): Promise<Controller> {
  const log = pino({ level: "debug" }, { write: (line: string) => void logText.push(line) });
  const config = resolveRepoConfig(
    { repo: server.url("config.git"), dataDir: join(dir.path, "data") },
    { CFS_GITOPS_GIT_USERNAME: credentials.username, CFS_GITOPS_GIT_PASSWORD: credentials.password },
  );
  repo = await openRepository({ config, log, pollIntervalMs: 100 });
  runner = await createLocalRunner({ dataDir: join(dir.path, "data", "runner"), log, maxConcurrent: 2 });
  controller = new Controller({
    source: repo.source,
    status: repo.status,
    runner,
    log,
  });
  return controller;
}

beforeEach(async () => {
  dir = tempDir("cfs-remote-");
  logText = [];
  bare = join(dir.path, "served", "config.git");
  git(dir.path, ["init", "-q", "--bare", "-b", "main", bare]);
  server = await startGitHttpServer({ root: join(dir.path, "served"), auth: credentials });
  work = new ConfigRepo(join(dir.path, "work"));
});

afterEach(async () => {
  await controller?.stop();
  await runner?.close();
  await repo?.close();
  controller = null;
  runner = null;
  repo = null;
  await server.close();
  dir.cleanup();
});

describe("controller on a remote repository over HTTP with basic auth", () => {
  it("polls, runs new sessions, pushes status through a moved status branch, and never leaks credentials", async () => {
    const marks = join(dir.path, "marks.txt");
    const layer = makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "ok" }) });
    work.commit({
      "configurations/c.yaml": configurationYaml("c", [{ name: "only", url: layer }]),
      "sessions/one.yaml": sessionYaml("one", "c"),
    });
    push();

    const c = await startController();
    expect(await c.runUntilSettled({ timeoutMs: 90_000 })).toBe(true);
    const one = JSON.parse(remoteFile("sessions/one.json") ?? "null") as SessionRecord;
    expect(one.status.session).toMatchObject({ status: "complete", succeeded: "true" });

    // Someone else moves the status branch; the controller's next status commit must land on top of it.
    const other = join(dir.path, "other");
    git(dir.path, ["clone", "-q", "--branch", "cfs-status", bare, other]);
    work.commit({ "sessions/two.yaml": sessionYaml("two", "c") });
    git(other, [
      "-c",
      "user.name=x",
      "-c",
      "user.email=x@x",
      "commit",
      "-q",
      "--allow-empty",
      "-m",
      "someone else",
    ]);
    git(other, ["push", "-q", "origin", "cfs-status"]);
    push();

    expect(await c.runUntilSettled({ timeoutMs: 90_000 })).toBe(true);
    expect(JSON.parse(remoteFile("sessions/two.json") ?? "null")).toMatchObject({
      status: { session: { status: "complete", succeeded: "true" } },
    });
    const subjects = git(bare, ["log", "--format=%s", "cfs-status"]).split("\n");
    expect(subjects).toContain("someone else");
    expect(logText.join("\n")).toContain("status branch moved; rebuilding on the new tip");
    expect(subjects[0]).toMatch(/^status: /);

    const everything = logText.join("\n") + git(bare, ["log", "-p", "cfs-status"]);
    expect(everything).not.toContain(credentials.password);
    expect(everything).not.toContain(
      Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64"),
    );
    expect(server.requests.some((r) => r.status === 401)).toBe(false);
  });

  it("keeps running and reports a clear error while the credentials are wrong", async () => {
    work.commit({ "sessions/a.yaml": sessionYaml("a", "c") });
    push();
    server.setAuth({ username: "cfs-bot", password: "rotated" });
    const c = await startController();
    await c.pass();
    expect(c.error).toBeInstanceOf(Error);
    expect(String((c.error as Error).message)).toMatch(/auth|401|credential/i);
    expect(logText.join("\n")).not.toContain(credentials.password);
  });
});
