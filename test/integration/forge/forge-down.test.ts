/**
 * The forge being down never holds up the controller: a forge that accepts connections and never
 * answers, the controller runs a session to the end (real git, real ansible-playbook) while every
 * commit status times out, is retried with backoff and is finally dropped with one log line each.
 */
import { createServer, type Server, type Socket } from "node:net";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ForgeServices } from "../../../src/cli/forge-services.js";
import { Controller } from "../../../src/controller/index.js";
import { createGiteaForge, tokenFromFile } from "../../../src/forge/index.js";
import { createLocalSource } from "../../../src/git/local-source.js";
import { createStatusStore } from "../../../src/git/status-store.js";
import { createLocalRunner } from "../../../src/runners/local/index.js";
import {
  ConfigRepo,
  configurationYaml,
  makeLayerRepo,
  playbook,
  sessionYaml,
  tempDir,
} from "../../helpers/config-repo.js";

let dir: { path: string; cleanup: () => void };
let blackHole: Server;
const sockets: Socket[] = [];

beforeEach(async () => {
  dir = tempDir("cfs-forge-down-");
  blackHole = createServer((socket) => void sockets.push(socket));
  await new Promise<void>((resolve) => blackHole.listen(0, "127.0.0.1", resolve));
});

afterEach(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => blackHole.close(resolve));
  dir.cleanup();
});

describe("a forge that never answers", () => {
  it("holds up no pass: the session completes, and each status is retried, then dropped with a log line", async () => {
    const base = makeLayerRepo(dir.path, "base", {
      "site.yml": playbook({ file: join(dir.path, "ran.txt"), line: "ok" }),
    });
    const work = new ConfigRepo(join(dir.path, "config"));
    work.commit({
      "configurations/site.yaml": configurationYaml("site", [{ name: "base", url: base }]),
      "sessions/s1.yaml": sessionYaml("s1", "site"),
    });
    const lines: string[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(line) });
    const address = blackHole.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    writeFileSync(join(dir.path, "token"), "forge-token-never-logged-9f8e7d\n");
    const forge = createGiteaForge({
      baseUrl: `http://127.0.0.1:${port}/api/v1`,
      repo: "site/config",
      token: tokenFromFile(join(dir.path, "token")),
      timeoutMs: 200,
    });
    const source = await createLocalSource({ path: work.path, branch: "main", log });
    const status = await createStatusStore({ gitDir: source.gitDir, branch: "cfs-status", log });
    const runner = await createLocalRunner({ dataDir: join(dir.path, "runner"), log, maxConcurrent: 1 });
    const services = new ForgeServices({
      forge,
      config: {
        repo: work.path,
        kind: "local",
        branch: "main",
        statusBranch: "cfs-status",
        dataDir: join(dir.path, "data"),
        credentials: null,
      },
      log,
      queue: { maxAttempts: 3, retry: { baseMs: 20, maxMs: 40 } },
    });
    const controller = new Controller({
      source,
      status,
      runner,
      log,
      onStatusCommit: services.onStatusCommit,
    });
    try {
      expect(await controller.runUntilSettled({ timeoutMs: 120_000 })).toBe(true);
      expect(controller.records.sessions.get("s1")?.status.session.succeeded).toBe("true");
      await services.idle();
    } finally {
      await controller.stop();
      await services.close(0);
      await runner.close();
      await source.close();
      await status.close();
    }
    const dropped = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === "forge call dropped");
    expect(dropped.length).toBeGreaterThanOrEqual(1);
    expect(dropped.at(-1)).toMatchObject({
      component: "forge",
      forge: expect.stringMatching(/^cfs-gitops\/sessions (success|pending) on [0-9a-f]{12}$/),
      attempts: 3,
      failure: "transient",
    });
    expect(services.queue.counts.done).toBe(0);
    expect(lines.join("\n")).not.toContain("forge-token-never-logged");
  });
});
