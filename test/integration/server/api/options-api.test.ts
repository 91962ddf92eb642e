/** `GET /v3/options`: the repository's cfs.yaml in CFS's V3Options shape, validated against the spec. */
import { afterAll, beforeAll, expect, it } from "vitest";
import { git } from "../../../helpers/config-repo.js";
import { referenceSpecPath } from "../../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "../../cli/cfs-openapi.js";
import { TOKENS, startApiHarness, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness({
    files: {
      "cfs.yaml":
        "apiVersion: cfs-gitops/v1\nkind: Options\nsession_ttl: 2d\nbatch_size: 10\nmax_concurrent_sessions: 3\n",
    },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("answers cfs.yaml's CFS options with the controller's defaults filled in, and nothing CFS lacks", async (context) => {
  const validate = cfsSchemaValidator({ spec: referenceSpecPath(context, "cfs"), name: "V3Options" });
  const answer = await h.call({ path: "/apis/cfs/v3/options", token: TOKENS.reader });
  expect(answer.status).toBe(200);
  expect(answer.json).toEqual({
    session_ttl: "2d",
    default_ansible_config: "cfs-default-ansible-cfg",
    batch_size: 10,
  });
  expect(validate(answer.json), JSON.stringify(validate.errors)).toBe(true);
});

it("PATCH commits the options into cfs.yaml, keeping its other keys, and answers the new options", async (context) => {
  const validate = cfsSchemaValidator({ spec: referenceSpecPath(context, "cfs"), name: "V3Options" });
  const answer = await h.call({
    method: "PATCH",
    path: "/apis/cfs/v3/options",
    body: { session_ttl: "1d", batch_size: 20 },
  });
  expect(answer.status, answer.text).toBe(200);
  expect(answer.json).toEqual({
    session_ttl: "1d",
    default_ansible_config: "cfs-default-ansible-cfg",
    batch_size: 20,
  });
  expect(validate(answer.json), JSON.stringify(validate.errors)).toBe(true);
  const text = git(h.repo.path, ["show", "main:cfs.yaml"]);
  expect(text).toContain("session_ttl: 1d");
  expect(text).toContain("batch_size: 20");
  expect(text).toContain("max_concurrent_sessions: 3");
  expect(git(h.repo.path, ["log", "-1", "--format=%s%n%an%n%b", "main"])).toMatch(
    /^Update options: session_ttl, batch_size\nalice\n[\s\S]*Cfs-Via: rest-api/,
  );
  expect((await h.call({ path: "/v3/options", token: TOKENS.reader })).json.session_ttl).toBe("1d");
});

it.each([
  ["an invalid value", { session_ttl: "soon" }, /cfs.yaml would be invalid/],
  [
    "an option cfs-gitops does not have",
    { logging_level: "DEBUG" },
    /cfs-gitops has no option logging_level/,
  ],
  [
    "a field CFS does not have",
    { colour: "red" },
    /Additional properties are not allowed \('colour' was unexpected\)/,
  ],
])("PATCH refuses %s with 400 and commits nothing", async (_what, body, detail) => {
  const before = git(h.repo.path, ["rev-parse", "main"]);
  const answer = await h.call({ method: "PATCH", path: "/v3/options", body });
  expect(answer.status, answer.text).toBe(400);
  expect(answer.json.detail).toMatch(detail);
  expect(git(h.repo.path, ["rev-parse", "main"])).toBe(before);
});
