/**
 * GET /v3/sources and /v3/sources/{name}: the sources of the watched branch in CFS's V3SourceData
 * shape (validated against CFS's spec), paged like CFS's lists, 404 in CFS's words.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { ApiAnswer } from "../../../helpers/api-client.js";
import { findReferenceSpec } from "../../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "../../cli/cfs-openapi.js";
import { TOKENS, startApiHarness, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;
const spec = findReferenceSpec("cfs");
const validator = (name: string) =>
  spec.path === null ? null : cfsSchemaValidator({ spec: spec.path, name });
const schemas = {
  one: validator("V3SourceData"),
  many: validator("V3SourceDataCollection"),
  problem: validator("ProblemDetails"),
};

function conforms(schema: keyof typeof schemas, body: unknown): void {
  const validate = schemas[schema];
  if (validate === null) return;
  expect(validate(body), `${schema}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

const source = (name: string, extra = "") =>
  `name: ${name}\nclone_url: https://vcs.example.org/${name}.git\ncredentials:\n  authentication_method: password\n  secret_name: ${name}-creds\n${extra}`;

beforeAll(async () => {
  h = await startApiHarness({
    files: {
      "sources/alpha.yaml": source("alpha", "ca_cert:\n  configmap_name: site-ca\n"),
      "sources/beta.yaml": source("beta", "description: second\n"),
      "sources/gamma.yaml": source("gamma"),
    },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("has the CFS spec to validate the bodies against (else every conforms() check is skipped, said here)", (context) => {
  if (spec.path === null) context.skip(spec.skipReason);
  expect(schemas.one).not.toBeNull();
});

const names = (answer: ApiAnswer) =>
  (answer.json as { sources: Array<{ name: string }> }).sources.map((s) => s.name);

it("lists the sources with last_updated, paged with limit and after_id", async () => {
  const all = await h.call({ path: "/apis/cfs/v3/sources", token: TOKENS.reader });
  expect(all.status).toBe(200);
  expect(names(all)).toEqual(["alpha", "beta", "gamma"]);
  expect(all.json.sources[0]).toEqual({
    name: "alpha",
    clone_url: "https://vcs.example.org/alpha.git",
    credentials: { authentication_method: "password", secret_name: "alpha-creds" },
    ca_cert: { configmap_name: "site-ca" },
    last_updated: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/) as unknown,
  });
  conforms("many", all.json);
  const first = await h.call({ path: "/v3/sources?limit=2" });
  expect(names(first)).toEqual(["alpha", "beta"]);
  expect(first.json.next.after_id).toBe("beta");
  expect(names(await h.call({ path: "/v3/sources?limit=2&after_id=beta" }))).toEqual(["gamma"]);
});

it("describes one, and answers 404 in CFS's words for an unknown one", async () => {
  const answer = await h.call({ path: "/v3/sources/beta" });
  expect(answer.status).toBe(200);
  expect(answer.json.description).toBe("second");
  conforms("one", answer.json);
  const missing = await h.call({ path: "/v3/sources/nope" });
  expect(missing.status).toBe(404);
  expect(missing.json).toMatchObject({ title: "Source not found", detail: "Source nope could not be found" });
  conforms("problem", missing.json);
});
