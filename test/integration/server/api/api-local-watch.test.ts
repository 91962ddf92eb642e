/**
 * On a local repository the API reads the branch as it is now, and a read never takes a new commit
 * away from the controller's ref watcher: a GET between a commit and the watcher's look used to
 * make the watcher see nothing new, so the controller left the commit alone until a resync.
 */
import { join } from "node:path";
import { pino } from "pino";
import { afterEach, expect, it } from "vitest";
import { Controller } from "../../../../src/controller/index.js";
import { createLocalSource, type LocalSource } from "../../../../src/git/local-source.js";
import { createStatusStore } from "../../../../src/git/status-store.js";
import type { StatusStore } from "../../../../src/git/types.js";
import { createLocalRunner } from "../../../../src/runners/local/index.js";
import type { Runner } from "../../../../src/runners/types.js";
import { ConfigRepo, sessionYaml, tempDir } from "../../../helpers/config-repo.js";
import { SITE_CONFIG, startApiHarness, type ApiHarness } from "./api-harness.js";

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let dir: { path: string; cleanup: () => void } | null = null;
let source: LocalSource | null = null;
let status: StatusStore | null = null;
let runner: Runner | null = null;
let controller: Controller | null = null;
let h: ApiHarness | null = null;

afterEach(async () => {
  await h?.close();
  await controller?.stop();
  await runner?.close();
  await status?.close();
  await source?.close();
  dir?.cleanup();
});

it("a GET between a commit and the ref watcher's look shows the commit and leaves it to the controller", async () => {
  dir = tempDir("cfs-api-watch-");
  const repo = new ConfigRepo(join(dir.path, "config"));
  repo.commit({ "configurations/site.yaml": SITE_CONFIG }, "seed");
  // The watcher looks 1.5 s after a ref changes: the GET below comes well within that.
  source = await createLocalSource({ path: repo.path, branch: "main", log, debounceMs: 1_500 });
  status = await createStatusStore({ gitDir: repo.path, branch: "cfs-status", log });
  runner = await createLocalRunner({ dataDir: join(dir.path, "data", "runner"), log, maxConcurrent: 1 });
  controller = new Controller({ source, status, runner, log, resyncMs: 3_600_000 });
  await controller.start();
  h = await startApiHarness({ source, repoDir: repo.path });
  repo.commit(
    {
      "sessions/broken.yaml": sessionYaml("broken", "missing"),
      "configurations/later.yaml": SITE_CONFIG.replace("name: site", "name: later"),
    },
    "a session of a missing configuration",
  );
  expect((await h.call({ path: "/v3/configurations/later" })).status).toBe(200);
  const deadline = Date.now() + 60_000;
  while (repo.statusFile("problems/sessions/broken.yaml.json") === null && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(repo.statusFile("problems/sessions/broken.yaml.json")).toContain("missing");
}, 90_000);
