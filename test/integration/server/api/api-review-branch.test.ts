/**
 * `--api-branch NAME`: every write becomes a commit on a pull-request branch started from the
 * watched one, answered 202 with the branch and the commit; the watched branch is left alone.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { ConfigError } from "../../../../src/cli/config.js";
import { git } from "../../../helpers/config-repo.js";
import { startApiHarness, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;
let mainTip: string;

beforeAll(async () => {
  h = await startApiHarness({ reviewBranch: "api-changes" });
  mainTip = git(h.repo.path, ["rev-parse", "main"]);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const body = (name: string) => ({
  name,
  configuration_name: "site",
  target: { definition: "dynamic", groups: [], image_map: [] },
});

it("answers 202 with the branch and commit, and leaves the watched branch alone", async () => {
  const first = await h.call({ method: "POST", path: "/apis/cfs/v3/sessions", body: body("reviewed-1") });
  expect(first.status, first.text).toBe(202);
  expect(first.json.branch).toBe("api-changes");
  expect(first.json.commit).toBe(git(h.repo.path, ["rev-parse", "api-changes"]));
  expect(first.json.detail).toBe(
    "Committed to branch api-changes for a pull request into main; it takes effect once merged",
  );
  const second = await h.call({ method: "POST", path: "/v3/sessions", body: body("reviewed-2") });
  expect(second.status).toBe(202);
  expect(git(h.repo.path, ["rev-parse", `${second.json.commit}^`])).toBe(first.json.commit);
  expect(git(h.repo.path, ["rev-parse", "main"])).toBe(mainTip);
  const onBranch = git(h.repo.path, ["ls-tree", "--name-only", "api-changes", "sessions/"]);
  expect(onBranch.split("\n")).toEqual(["sessions/reviewed-1.yaml", "sessions/reviewed-2.yaml"]);
  expect(git(h.repo.path, ["log", "-1", "--format=%B", "api-changes"])).toContain("Cfs-Via: rest-api");
});

it("checks each write against the branch: a name taken there is 409, a missing session 404", async () => {
  const taken = await h.call({ method: "POST", path: "/v3/sessions", body: body("reviewed-1") });
  expect(taken.status).toBe(409);
  expect((await h.call({ method: "DELETE", path: "/v3/sessions/nope" })).status).toBe(404);
  const removed = await h.call({ method: "DELETE", path: "/v3/sessions/reviewed-2" });
  expect(removed.status).toBe(202);
  expect(git(h.repo.path, ["ls-tree", "--name-only", "api-changes", "sessions/"])).toBe(
    "sessions/reviewed-1.yaml",
  );
  expect(git(h.repo.path, ["rev-parse", "main"])).toBe(mainTip);
});

it("refuses to start with --api-branch naming the watched or the status branch", async () => {
  await expect(startApiHarness({ reviewBranch: "main" })).rejects.toThrow(ConfigError);
  await expect(startApiHarness({ reviewBranch: "cfs-status" })).rejects.toThrow(
    "--api-branch cfs-status: must differ from the watched and the status branch",
  );
});
