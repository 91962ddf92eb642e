/**
 * End to end through the REST API, with a client that speaks like `cray` (HTTPS with certificate
 * checks off, `/apis/cfs/v3/...`, a bearer token): create, list with filters, describe and delete a
 * session that a real controller (local runner, real ansible-playbook) really runs.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { callApi, type ApiAnswer } from "../helpers/api-client.js";
import { configurationYaml, makeLayerRepo, playbook, tempDir } from "../helpers/config-repo.js";
import { startApiHarness, TOKENS, type ApiHarness } from "../integration/server/api/api-harness.js";
import { startController, type Harness } from "./harness.js";

let dir: { path: string; cleanup: () => void };
let api: ApiHarness;
let controller: Harness;
let marks: string;

/** `cray cfs v3 ...`: HTTPS without certificate checks, the gateway prefix, a bearer token. */
function cray(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
  return callApi({ url: api.url, method, path: `/apis/cfs/v3${path}`, token: TOKENS.writer, body });
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

beforeAll(async () => {
  dir = tempDir("cfs-e2e-api-");
  marks = join(dir.path, "marks.txt");
  const layer = makeLayerRepo(dir.path, "ok", { "site.yml": playbook({ file: marks, line: "ok" }) });
  api = await startApiHarness({
    files: { "configurations/site.yaml": configurationYaml("site", [{ name: "base", url: layer }]) },
  });
  controller = await startController({ repo: api.repo.path, dataDir: join(dir.path, "data"), watch: true });
}, 60_000);

afterAll(async () => {
  await controller?.close();
  await api?.close();
  dir?.cleanup();
});

it("creates, lists, describes and deletes a session through the API, and the session really runs", async () => {
  const created = await cray("POST", "/sessions", {
    name: "e2e-api",
    configuration_name: "site",
    ansible_limit: "",
    target: { definition: "spec", groups: [{ name: "test", members: ["localhost"] }], image_map: [] },
    tags: { bos_session: "e2e" },
  });
  expect(created.status, created.text).toBe(201);
  expect(created.json.status.session.status).toBe("pending");

  await until("the session to complete", async () => {
    const described = await cray("GET", "/sessions/e2e-api");
    return described.json?.status?.session?.status === "complete";
  });
  const described = await cray("GET", "/sessions/e2e-api");
  expect(described.json.status.session.succeeded).toBe("true");
  expect(existsSync(marks) ? readFileSync(marks, "utf8") : "").toContain("ok");

  const listed = await cray("GET", "/sessions?status=complete&succeeded=true&tags=bos_session%3De2e");
  expect((listed.json.sessions as Array<{ name: string }>).map((s) => s.name)).toEqual(["e2e-api"]);
  const none = await cray("GET", "/sessions?status=running");
  expect(none.json.sessions).toEqual([]);

  expect((await cray("DELETE", "/sessions/e2e-api")).status).toBe(204);
  await until("the controller to delete the session", async () => {
    return (await cray("GET", "/sessions/e2e-api")).status === 404;
  });
  expect(api.repo.statusFile("sessions/e2e-api.json")).toBeNull();
}, 180_000);
