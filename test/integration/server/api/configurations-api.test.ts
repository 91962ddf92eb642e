/**
 * Contract tests of `/v3/configurations` over a real repository: bodies validated against the CFS
 * spec, every write checked in Git, CFS's refusals (404, 400 in use, 400 invalid, unknown fields).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { git, makeLayerRepo, tempDir } from "../../../helpers/config-repo.js";
import type { ApiAnswer } from "../../../helpers/api-client.js";
import { findReferenceSpec } from "../../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "../../cli/cfs-openapi.js";
import { sessionManifest } from "../../cli/cli-harness.js";
import { SITE_CONFIG, TOKENS, startApiHarness, type ApiHarness } from "./api-harness.js";

let h: ApiHarness;
let layers: { path: string; cleanup: () => void };
let layerUrl: string;
const spec = findReferenceSpec("cfs");
const validator = (name: string) =>
  spec.path === null ? null : cfsSchemaValidator({ spec: spec.path, name });
const schemas = {
  one: validator("V3ConfigurationData"),
  many: validator("V3ConfigurationDataCollection"),
  problem: validator("ProblemDetails"),
};

function conforms(schema: keyof typeof schemas, body: unknown): void {
  const validate = schemas[schema];
  if (validate === null) return;
  expect(validate(body), `${schema}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

function expectProblem(answer: ApiAnswer, status: number, detail?: string | RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  if (typeof detail === "string") expect(answer.json.detail).toBe(detail);
  if (detail instanceof RegExp) expect(answer.json.detail).toMatch(detail);
  conforms("problem", answer.json);
}

const branchConfig = (url: string) => `apiVersion: cfs-gitops/v1
kind: Configuration
name: tracking
layers:
  - name: app
    clone_url: ${url}
    branch: main
    playbook: site.yml
`;

beforeAll(async () => {
  layers = tempDir("cfs-api-layers-");
  layerUrl = makeLayerRepo(layers.path, "app", { "site.yml": "- hosts: all\n  tasks: []\n" });
  h = await startApiHarness({
    files: {
      "configurations/tracking.yaml": branchConfig(layerUrl),
      "configurations/spare.yaml": SITE_CONFIG.replace("name: site", "name: spare"),
      "components/x1000c0s0b0n0.yaml":
        "apiVersion: cfs-gitops/v1\nkind: Component\nid: x1000c0s0b0n0\ndesired_config: site\n",
      "sessions/uses-spare.yaml": sessionManifest("uses-spare").replace("name: site", "name: spare"),
    },
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  layers?.cleanup();
});

it("has the CFS spec to validate the bodies against (else every conforms() check is skipped, said here)", (context) => {
  if (spec.path === null) context.skip(spec.skipReason);
  expect(schemas.one).not.toBeNull();
});

const names = (body: unknown) =>
  (body as { configurations: Array<{ name: string }> }).configurations.map((c) => c.name);

describe("GET /v3/configurations", () => {
  it("lists every configuration with last_updated, pages with limit/after_id, filters with in_use", async () => {
    const all = await h.call({ path: "/apis/cfs/v3/configurations", token: TOKENS.reader });
    expect(all.status).toBe(200);
    expect(names(all.json)).toEqual(["site", "spare", "tracking"]);
    expect(all.json.configurations[0].last_updated).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(all.json.configurations[0].layers[0].commit).toBe("aaaa111111111111111111111111111111111111");
    conforms("many", all.json);
    const first = await h.call({ path: "/v3/configurations?limit=2" });
    expect(names(first.json)).toEqual(["site", "spare"]);
    expect(first.json.next.after_id).toBe("spare");
    const rest = await h.call({ path: "/v3/configurations?limit=2&after_id=spare" });
    expect(names(rest.json)).toEqual(["tracking"]);
    expect(names((await h.call({ path: "/v3/configurations?in_use=true" })).json)).toEqual(["site"]);
    expect(names((await h.call({ path: "/v3/configurations?in_use=false" })).json)).toEqual([
      "spare",
      "tracking",
    ]);
    expectProblem(await h.call({ path: "/v3/configurations?in_use=maybe" }), 400);
    expectProblem(await h.call({ path: "/v3/configurations?limit=-1" }), 400);
  });

  it("describes one, and answers 404 for an unknown one", async () => {
    const answer = await h.call({ path: "/v3/configurations/tracking" });
    expect(answer.status).toBe(200);
    expect(answer.json.layers[0].branch).toBe("main");
    conforms("one", answer.json);
    expectProblem(
      await h.call({ path: "/v3/configurations/nope" }),
      404,
      "Configuration nope could not be found",
    );
  });
});

describe("PUT /v3/configurations/{id}", () => {
  const body = {
    description: "made over the API",
    layers: [
      {
        name: "base",
        clone_url: "https://git.example.org/site/base.git",
        commit: "c".repeat(40),
        playbook: "site.yml",
      },
    ],
  };

  it("creates a configuration (200, the new record) in one commit by the caller", async () => {
    const answer = await h.call({ method: "PUT", path: "/apis/cfs/v3/configurations/made", body });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.name).toBe("made");
    expect(answer.json.description).toBe("made over the API");
    conforms("one", answer.json);
    expect(git(h.repo.path, ["show", "main:configurations/made.yaml"])).toContain("c".repeat(40));
    const log = git(h.repo.path, ["log", "-1", "--format=%an%n%B", "main"]);
    expect(log).toContain("alice");
    expect(log).toContain("Add configuration made");
    expect(log).toContain("Cfs-Via: rest-api");
  });

  it("replaces an existing one, accepting what describe printed (name, last_updated)", async () => {
    const described = (await h.call({ path: "/v3/configurations/made" })).json;
    const answer = await h.call({
      method: "PUT",
      path: "/v3/configurations/made",
      body: { ...described, description: "replaced" },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.description).toBe("replaced");
    expect(git(h.repo.path, ["log", "-1", "--format=%s", "main"])).toBe("Update configuration made");
  });

  it.each([
    [
      "an unknown field",
      { ...body, colour: "red" },
      "Additional properties are not allowed ('colour' was unexpected)",
    ],
    // No layers at all is accepted, as CFS accepts it (layers is not required in V3ConfigurationData).
    [
      "a layer without a playbook",
      { layers: [{ clone_url: "https://x.example/r.git", commit: "d".repeat(40) }] },
      /would be invalid/,
    ],
    ["a list", [body], undefined],
  ])("answers 400 for %s and commits nothing", async (_what, put, detail) => {
    const before = git(h.repo.path, ["rev-parse", "main"]);
    expectProblem(await h.call({ method: "PUT", path: "/v3/configurations/bad", body: put }), 400, detail);
    expect(git(h.repo.path, ["rev-parse", "main"])).toBe(before);
  });
});

describe("PATCH /v3/configurations/{id}", () => {
  it("pins every branch layer to the branch's current commit", async () => {
    const tip = git(layers.path, ["--git-dir", layerUrl, "rev-parse", "main"]);
    const answer = await h.call({ method: "PATCH", path: "/v3/configurations/tracking" });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json.layers[0].commit).toBe(tip);
    conforms("one", answer.json);
    expect(git(h.repo.path, ["log", "-1", "--format=%s", "main"])).toBe(
      "Pin configuration tracking to current commits",
    );
  });

  it("answers 404 for an unknown configuration", async () => {
    expectProblem(await h.call({ method: "PATCH", path: "/v3/configurations/nope" }), 404);
  });
});

describe("DELETE /v3/configurations/{id}", () => {
  it("refuses with 400 while a component wants it or an unfinished session uses it", async () => {
    expectProblem(
      await h.call({ method: "DELETE", path: "/v3/configurations/site" }),
      400,
      /desired_config of components x1000c0s0b0n0/,
    );
    expectProblem(
      await h.call({ method: "DELETE", path: "/v3/configurations/spare" }),
      400,
      /unfinished sessions uses-spare/,
    );
  });

  it("deletes an unused one (204), then answers 404", async () => {
    expect((await h.call({ method: "DELETE", path: "/v3/configurations/made" })).status).toBe(204);
    expect(git(h.repo.path, ["ls-tree", "--name-only", "main", "configurations/"])).not.toContain("made");
    expectProblem(await h.call({ method: "DELETE", path: "/v3/configurations/made" }), 404);
  });
});
