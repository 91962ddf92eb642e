/**
 * The API keeps the session views it built until a branch tip moves: a record another writer
 * commits to `cfs-status`, a changed record, a removed one and a create through the API are each
 * in the very next answer, for the list and for one session.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { sessionManifest, sessionRecord } from "../../cli/cli-harness.js";
import { startApiHarness, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness({ files: { "sessions/v-one.yaml": sessionManifest("v-one") } });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const describeOne = async (name: string) => {
  const answer = await h.call({ path: `/v3/sessions/${name}` });
  return answer.status === 200 ? (answer.json.status.session.status as string) : answer.status;
};
const listed = async () =>
  (
    (await h.call({ path: "/v3/sessions" })).json.sessions as Array<{
      name: string;
      status: { session: { status: string } };
    }>
  ).map((s) => `${s.name} ${s.status.session.status}`);

it("answers from both branches' tips at each request, however often it was asked before", async () => {
  expect(await describeOne("v-one")).toBe("pending"); // from the manifest: no record yet
  expect(await listed()).toEqual(["v-one pending"]);
  await h.writeStatus({
    "sessions/v-one.json": sessionRecord({ name: "v-one", status: "running", start: "2026-01-01T00:00:00Z" }),
  });
  expect(await describeOne("v-one")).toBe("running");
  expect(await listed()).toEqual(["v-one running"]);
  await h.writeStatus({
    "sessions/v-one.json": sessionRecord({
      name: "v-one",
      status: "complete",
      start: "2026-01-01T00:00:00Z",
      completion: "2026-01-01T00:01:00Z",
    }),
    "sessions/v-gone.json": sessionRecord({
      name: "v-gone",
      status: "running",
      start: "2026-01-01T00:00:00Z",
    }),
  });
  expect(await describeOne("v-one")).toBe("complete");
  expect(await describeOne("v-gone")).toBe("running");
  await h.writeStatus({ "sessions/v-gone.json": null });
  expect(await describeOne("v-gone")).toBe(404);
  const created = await h.call({
    method: "POST",
    path: "/v3/sessions",
    body: {
      name: "v-new",
      configuration_name: "site",
      target: { definition: "dynamic", groups: [], image_map: [] },
    },
  });
  expect(created.status).toBe(201);
  expect(await describeOne("v-new")).toBe("pending");
  expect(await listed()).toEqual(["v-new pending", "v-one complete"]);
}, 60_000);
