/**
 * End to end through the REST API, with a client that speaks like `cray` (HTTPS with certificate
 * checks off, `/apis/cfs/v3/...`, a bearer token): create, list with filters, describe, delete and
 * delete all of sessions, configurations update and components update (BOS's filters and CFS's
 * lists), each acted on by a real controller (local runner, real ansible-playbook).
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
let nodeMarks: string;
let layerTwo: { work: string; bare: string };

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
  nodeMarks = join(dir.path, "node-marks.txt");
  layerTwo = nodeLayer(dir.path, nodeMarks);
  api = await startApiHarness({
    files: { "configurations/site.yaml": configurationYaml("site", [{ name: "base", url: layer }]) },
  });
  controller = await startController({ repo: api.repo.path, dataDir: join(dir.path, "data"), watch: true });
}, 60_000);

/**
 * A layer repository for component `n1` (made local by host_vars/n1.yml): `site.yml` appends
 * `<host> site` to `file`, `again.yml` appends `<host> again`.
 */
function nodeLayer(root: string, file: string): { work: string; bare: string } {
  const play = (word: string): string =>
    `- hosts: all\n  gather_facts: false\n  tasks:\n    - ansible.builtin.shell: echo "{{ inventory_hostname }} ${word}" >> ${file}\n`;
  const bare = makeLayerRepo(root, "node", {
    "site.yml": play("site"),
    "again.yml": play("again"),
    "host_vars/n1.yml": "ansible_connection: local\n",
  });
  return { work: join(root, "layer-work", "node"), bare };
}

const lines = (file: string): string[] =>
  existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];

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

it("updates configurations and components and deletes all sessions through the API; the controller acts on each", async () => {
  expect((await cray("PATCH", "/options", { batch_window: 0 })).status).toBe(200);
  const layer = { name: "node", clone_url: layerTwo.bare, branch: "main" };
  const put = await cray("PUT", "/configurations/nodes", { layers: [{ ...layer, playbook: "site.yml" }] });
  expect(put.status, put.text).toBe(200);

  // components update: CFS's list PUT creates n1 wanting `nodes`; the batcher configures it.
  const created = await cray("PUT", "/components", [{ id: "n1", desired_config: "nodes" }]);
  expect(created.status, created.text).toBe(200);
  const configured = async (): Promise<boolean> =>
    (await cray("GET", "/components/n1")).json?.configuration_status === "configured";
  await until("n1 to be configured with nodes", configured);
  expect(lines(nodeMarks)).toEqual(["n1 site"]);

  // configurations update: another playbook; n1 wants the configuration, so it runs again.
  const updated = await cray("PUT", "/configurations/nodes", {
    layers: [{ ...layer, playbook: "again.yml" }],
  });
  expect(updated.status, updated.text).toBe(200);
  await until("n1 to run the updated configuration", () =>
    Promise.resolve(lines(nodeMarks).includes("n1 again")),
  );
  await until("n1 to be configured again", configured);

  // components update, as BOS does it (filters) and as a list: disable, then configure again.
  const disabled = await cray("PATCH", "/components", { patch: { enabled: false }, filters: { ids: "n1" } });
  expect(disabled.json).toEqual({ component_ids: ["n1"] });
  // A recorded component's fields are the controller's record until it has read the commit.
  await until("the controller to record n1 disabled", async () => {
    const listed = (await cray("GET", "/components?enabled=false")).json as {
      components: Array<{ id: string }>;
    };
    return listed.components.map((c) => c.id).join() === "n1";
  });
  const again = await cray("PATCH", "/components", [{ id: "n1", enabled: true, state: [] }]);
  expect(again.json).toEqual({ component_ids: ["n1"] });
  await until("n1 to be configured a third time", () => Promise.resolve(lines(nodeMarks).length === 3));
  expect(lines(nodeMarks)).toEqual(["n1 site", "n1 again", "n1 again"]);

  // deleteall: two finished sessions deleted with one call, the controller removes their records.
  for (const name of ["e2e-all-1", "e2e-all-2"]) {
    const session = await cray("POST", "/sessions", {
      name,
      configuration_name: "site",
      target: { definition: "spec", groups: [{ name: "test", members: ["localhost"] }], image_map: [] },
    });
    expect(session.status, session.text).toBe(201);
  }
  type Listed = { sessions: Array<{ name: string; status: { session: { status: string } } }> };
  const ours = async (): Promise<Listed["sessions"]> =>
    ((await cray("GET", "/sessions?name_contains=e2e-all")).json as Listed).sessions;
  await until("both sessions to complete", async () => {
    const sessions = await ours();
    return sessions.length === 2 && sessions.every((x) => x.status.session.status === "complete");
  });
  const deleted = await cray("DELETE", "/sessions?name_contains=e2e-all");
  expect(deleted.status, deleted.text).toBe(200);
  expect([...deleted.json.session_ids].sort()).toEqual(["e2e-all-1", "e2e-all-2"]);
  await until("the controller to delete both", async () => (await ours()).length === 0);
  expect(api.repo.statusFile("sessions/e2e-all-1.json")).toBeNull();
}, 300_000);
