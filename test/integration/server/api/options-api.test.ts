/** `GET /v3/options`: the repository's cfs.yaml in CFS's V3Options shape, validated against the spec. */
import { afterAll, beforeAll, expect, it } from "vitest";
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

it("does not take PATCH yet (405)", async () => {
  const answer = await h.call({ method: "PATCH", path: "/v3/options", body: { session_ttl: "1d" } });
  expect(answer.status).toBe(405);
  expect(answer.headers["allow"]).toBe("GET");
});
