/**
 * Sources through the whole controller: a layer with `source:` clones over HTTP with the source's
 * credentials (the controller itself holds none), the status branch gets `sources/<name>.json` like
 * `cray cfs v3 sources describe` without the secret, and the password is nowhere: not in the status
 * branch's objects, the configuration repository, the run directories or the controller's log.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigRepo, makeLayerRepo, playbook, sessionYaml, tempDir } from "../helpers/config-repo.js";
import { startGitHttpServer, type GitHttpServer } from "../helpers/git-http-server.js";
import { basicAuthSecrets, describeHit, scanForSecrets } from "../helpers/scan-for-secrets.js";
import { startController, type Harness } from "./harness.js";

const AUTH = { username: "vcs-source", password: "e2e-Source-Pw-4417-hidden" };

let dir: { path: string; cleanup: () => void };
let harness: Harness | null = null;
let server: GitHttpServer | null = null;

beforeEach(() => {
  dir = tempDir("cfs-sources-");
});

afterEach(async () => {
  await harness?.close();
  harness = null;
  await server?.close();
  server = null;
  dir.cleanup();
});

describe("controller: sources", () => {
  it("runs a layer through its source and records the source without its credentials", async () => {
    const marker = join(dir.path, "ran.txt");
    makeLayerRepo(dir.path, "site", { "site.yml": playbook({ file: marker, line: "through-source" }) });
    server = await startGitHttpServer({ root: join(dir.path, "layers"), auth: AUTH });
    const dataDir = join(dir.path, "data");
    const secret = join(dataDir, "runner", "secrets", "site-creds");
    mkdirSync(secret, { recursive: true });
    writeFileSync(join(secret, "username"), AUTH.username, { mode: 0o600 });
    writeFileSync(join(secret, "password"), AUTH.password, { mode: 0o600 });
    const repo = new ConfigRepo(join(dir.path, "config"));
    repo.commit({
      "sources/site-vcs.yaml": [
        "name: site-vcs",
        "description: the site repository",
        `clone_url: ${server.url("site.git")}`,
        "credentials:",
        "  authentication_method: password",
        "  secret_name: site-creds",
        "",
      ].join("\n"),
      "configurations/cfg.yaml": [
        "layers:",
        "  - name: site",
        "    source: site-vcs",
        "    branch: main",
        "    playbook: site.yml",
        "",
      ].join("\n"),
      "sessions/s1.yaml": sessionYaml("s1", "cfg"),
    });
    const logLines: string[] = [];
    const log = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
    harness = await startController({ repo: repo.path, dataDir, log });
    expect(await harness.controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);

    const record = JSON.parse(repo.statusFile("sessions/s1.json") ?? "{}") as {
      status: { session: { succeeded: string } };
    };
    expect(record.status.session.succeeded).toBe("true");
    expect(JSON.parse(repo.statusFile("sources/site-vcs.json") ?? "null")).toEqual({
      name: "site-vcs",
      description: "the site repository",
      last_updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
      clone_url: server.url("site.git"),
      credentials: { authentication_method: "password", secret_name: "site-creds" },
    });
    const hits = scanForSecrets({
      secrets: basicAuthSecrets("source password", AUTH),
      repoDir: repo.path,
      dirs: [join(dataDir, "runner", "runs")],
      logText: logLines,
    });
    expect(hits.map(describeHit)).toEqual([]);

    // The source's removal removes its record; the configuration naming it becomes a problem.
    repo.commit({ "sources/site-vcs.yaml": null });
    expect(await harness.controller.runUntilSettled({ timeoutMs: 60_000 })).toBe(true);
    expect(repo.statusFile("sources/site-vcs.json")).toBeNull();
    expect(repo.statusFile("problems/configurations/cfg.yaml.json")).toContain(
      "The source site-vcs does not exist.",
    );
  });
});
