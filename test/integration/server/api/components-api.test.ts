/**
 * Contract tests of `/v3/components` over a real repository: every answer's body is validated
 * against the real CFS spec, every write is checked in Git (one commit per request, comments kept),
 * and errors are CFS's problem+json.
 */
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ComponentRecord } from "../../../../src/api/index.js";
import { git } from "../../../helpers/config-repo.js";
import { findReferenceSpec } from "../../../helpers/reference-spec.js";
import { cfsSchemaValidator } from "../../cli/cfs-openapi.js";
import type { ApiAnswer } from "../../../helpers/api-client.js";
import { startApiHarness, TOKENS, type ApiHarness } from "./api-harness.js";

const N0 = "x1000c0s0b0n0";
const N1 = "x1000c0s0b0n1";
const N2 = "x1000c0s0b0n2";
const manifest = (id: string, extra: string) =>
  `apiVersion: cfs-gitops/v1\nkind: Component\nid: ${id}\n${extra}`;

const recorded: ComponentRecord = {
  id: N0,
  configuration_status: "configured",
  desired_config: "site",
  desired_state: [
    {
      clone_url: "https://git.example.org/site/base.git",
      playbook: "site.yml",
      commit: "a".repeat(40),
      status: "configured",
    },
  ],
  enabled: true,
  error_count: 0,
  logs: "",
  retry_policy: 3,
  state: [
    {
      clone_url: "https://git.example.org/site/base.git",
      playbook: "site.yml",
      commit: "a".repeat(40),
      status: "applied",
      last_updated: "2026-11-21T11:00:00Z",
      session_name: "batcher-0123456789abcdef",
    },
  ],
  tags: {},
};

let h: ApiHarness;
const spec = findReferenceSpec("cfs");
/** CFS prints layer statuses in desired_state (see test/integration/cli/components.test.ts). */
const layerStatuses = (schemas: Record<string, unknown>) => {
  const properties = (schemas["V3ComponentData"] as { properties: Record<string, unknown> }).properties;
  properties["desired_state"] = { type: "array" };
};
const validator = (name: string) =>
  spec.path === null ? null : cfsSchemaValidator({ spec: spec.path, name, patch: layerStatuses });
const schemas = {
  component: validator("V3ComponentData"),
  collection: validator("V3ComponentDataCollection"),
  ids: validator("V3ComponentIdCollection"),
  array: validator("V3ComponentDataArray"),
  problem: validator("ProblemDetails"),
};

/** Validates a body against a spec schema (a no-op when the spec is absent, said by the first test). */
function conforms(schema: keyof typeof schemas, body: unknown): void {
  const validate = schemas[schema];
  if (validate === null) return;
  expect(validate(body), `${schema}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

function expectProblem(answer: ApiAnswer, status: number, detail?: string | RegExp): void {
  expect(answer.status, answer.text).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.json.status).toBe(status);
  if (typeof detail === "string") expect(answer.json.detail).toBe(detail);
  else if (detail) expect(answer.json.detail).toMatch(detail);
  conforms("problem", answer.json);
}

const tip = () => git(h.repo.path, ["rev-parse", "main"]).trim();
const show = (path: string) => parse(git(h.repo.path, ["show", `main:${path}`])) as Record<string, unknown>;
const ids = (body: unknown) => (body as { components: ComponentRecord[] }).components.map((c) => c.id);

beforeAll(async () => {
  h = await startApiHarness({
    files: {
      [`components/${N0}.yaml`]: manifest(N0, "desired_config: site\nretry_policy: 3\n"),
      [`components/${N1}.yaml`]: manifest(N1, "# kept by edits\ntags:\n  rack: r1\n"),
      [`components/${N2}.yaml`]: manifest(N2, "desired_config: site\nenabled: false\ntags:\n  rack: r2\n"),
    },
  });
  await h.writeStatus({ [`components/${N0}.json`]: JSON.stringify(recorded) });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("has the CFS spec to validate the bodies against (else every conforms() check is skipped, said here)", (context) => {
  if (spec.path === null) context.skip(spec.skipReason);
  expect(schemas.component).not.toBeNull();
});

describe("GET /v3/components", () => {
  it("lists every component sorted by id: recorded ones as recorded, others from their manifest", async () => {
    const answer = await h.call({ path: "/apis/cfs/v3/components" });
    expect(answer.status).toBe(200);
    expect(answer.json.components).toEqual([
      recorded,
      expect.objectContaining({ id: N1, configuration_status: "unconfigured", desired_config: "" }),
      expect.objectContaining({ id: N2, configuration_status: "pending", enabled: false }),
    ]);
    expect(answer.json.next).toBeNull();
    conforms("collection", answer.json);
  });

  it.each([
    [`ids=${N0},${N2}`, [N0, N2]],
    ["status=pending", [N2]],
    ["status=configured,unconfigured", [N0, N1]],
    ["enabled=false", [N2]],
    ["config_name=site", [N0, N2]],
    ["tags=rack%3Dr1", [N1]],
    ["status=&tags=", [N0, N1, N2]],
  ])("filters with %s", async (query, expected) => {
    const answer = await h.call({ path: `/v3/components?${query}` });
    expect(answer.status).toBe(200);
    expect(ids(answer.json)).toEqual(expected);
    conforms("collection", answer.json);
  });

  it("pages with limit and after_id, the next page keeping the filters", async () => {
    const first = await h.call({ path: "/v3/components?limit=1&config_name=site" });
    expect(ids(first.json)).toEqual([N0]);
    expect(first.json.next).toEqual({ config_name: "site", limit: 1, after_id: N0 });
    conforms("collection", first.json);
    const second = await h.call({ path: `/v3/components?limit=1&config_name=site&after_id=${N0}` });
    expect(ids(second.json)).toEqual([N2]);
    expect(second.json.next).toBeNull();
  });

  it.each([["status=done"], ["enabled=maybe"], ["tags=novalue"], ["limit=0"]])(
    "answers 400 problem+json for a bad filter: %s",
    async (query) => {
      expectProblem(await h.call({ path: `/v3/components?${query}` }), 400);
    },
  );
});

describe("GET /v3/components/{id}", () => {
  it("describes one component as V3ComponentData", async () => {
    const answer = await h.call({ path: `/v3/components/${N0}` });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual(recorded);
    conforms("component", answer.json);
  });

  it("answers 404 with CFS's words for an unknown component", async () => {
    expectProblem(await h.call({ path: "/v3/components/nope" }), 404, "Component nope could not be found");
  });
});

describe("PATCH /v3/components/{id}", () => {
  it("edits the manifest in one commit (comments kept, an empty tag removed) and answers the component", async () => {
    const before = tip();
    const answer = await h.call({
      method: "PATCH",
      path: `/v3/components/${N1}`,
      body: { desired_config: "site", enabled: true, retry_policy: 5, tags: { role: "compute", rack: "" } },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({
      id: N1,
      desired_config: "site",
      retry_policy: 5,
      tags: { role: "compute" },
    });
    conforms("component", answer.json);
    expect(git(h.repo.path, ["rev-list", "--count", `${before}..main`]).trim()).toBe("1");
    expect(git(h.repo.path, ["show", `main:components/${N1}.yaml`])).toContain("# kept by edits");
    expect(show(`components/${N1}.yaml`)).toMatchObject({
      desired_config: "site",
      enabled: true,
      retry_policy: 5,
      tags: { role: "compute" },
    });
    const commit = git(h.repo.path, ["log", "-1", "--format=%an%n%B", "main"]);
    expect(commit).toContain("alice");
    expect(commit).toContain(`Update component ${N1}`);
    expect(commit).toContain("Cfs-Via: rest-api");
  });

  it("takes state: [] as configure again (the reconfigure counter), answering no state and no errors", async () => {
    const answer = await h.call({ method: "PATCH", path: `/v3/components/${N0}`, body: { state: [] } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ id: N0, state: [], error_count: 0 });
    conforms("component", answer.json);
    expect(show(`components/${N0}.yaml`)["reconfigure"]).toBe(1);
  });

  it.each([
    ["an unknown desired_config", { desired_config: "nope" }, 400, /desired_config "nope" does not exist/],
    ["a recorded field", { error_count: 0 }, 400, /error_count/],
    ["a wrong type", { enabled: "yes" }, 400, "enabled must be true or false"],
    ["a bad retry_policy", { retry_policy: -2 }, 400, undefined],
    ["an id of another component", { id: N2, enabled: false }, 400, undefined],
    ["nothing to change", {}, 400, undefined],
    ["an array", [{ enabled: false }], 400, undefined],
  ])("answers 400 for %s and commits nothing", async (_what, body, status, detail) => {
    const before = tip();
    expectProblem(await h.call({ method: "PATCH", path: `/v3/components/${N1}`, body }), status, detail);
    expect(tip()).toBe(before);
  });

  it("answers 404 for an unknown component and commits nothing", async () => {
    const before = tip();
    const answer = await h.call({ method: "PATCH", path: "/v3/components/nope", body: { enabled: false } });
    expectProblem(answer, 404, "Component nope could not be found");
    expect(tip()).toBe(before);
  });

  it("is refused to a read token", async () => {
    const answer = await h.call({
      method: "PATCH",
      path: `/v3/components/${N1}`,
      body: { enabled: false },
      token: TOKENS.reader,
    });
    expect(answer.status).toBe(403);
  });
});

describe("PATCH /v3/components", () => {
  it("patches every component the filters match, as BOS sends it, in one commit", async () => {
    const before = tip();
    const answer = await h.call({
      method: "PATCH",
      path: "/v3/components",
      body: { patch: { desired_config: "", enabled: false }, filters: { ids: `${N1},${N2},nope` } },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ component_ids: [N1, N2] });
    conforms("ids", answer.json);
    expect(git(h.repo.path, ["rev-list", "--count", `${before}..main`]).trim()).toBe("1");
    for (const id of [N1, N2])
      expect(show(`components/${id}.yaml`)).toMatchObject({ desired_config: "", enabled: false });
    expect(show(`components/${N0}.yaml`)["enabled"]).toBeUndefined();
    const listed = await h.call({ path: "/v3/components?enabled=false" });
    expect(ids(listed.json)).toEqual([N1, N2]);
  });

  it("answers an empty list and commits nothing when no component matches", async () => {
    const before = tip();
    const answer = await h.call({
      method: "PATCH",
      path: "/v3/components",
      body: { patch: { enabled: true }, filters: { tags: "rack=r9" } },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ component_ids: [] });
    expect(tip()).toBe(before);
  });

  it.each([
    ["no filters", { patch: { enabled: true } }],
    ["an unknown filter", { patch: { enabled: true }, filters: { colour: "red" } }],
    ["a bad status filter", { patch: { enabled: true }, filters: { status: "done" } }],
    ["an id in the patch", { patch: { id: N1, enabled: true }, filters: {} }],
    ["an unknown desired_config", { patch: { desired_config: "nope" }, filters: { ids: N1 } }],
  ])("answers 400 for %s and commits nothing", async (_what, body) => {
    const before = tip();
    expectProblem(await h.call({ method: "PATCH", path: "/v3/components", body }), 400);
    expect(tip()).toBe(before);
  });
});

describe("PATCH /v3/components with a list of component records", () => {
  it("gives each component its own edit, all in one commit, and answers their ids", async () => {
    const before = tip();
    const n1 = show(`components/${N1}.yaml`);
    const body = [
      { id: N0, retry_policy: 7, tags: { rack: "r0" } },
      { id: N2, desired_config: "site", enabled: true },
      { id: N1, state: [] },
    ];
    conforms("array", body);
    const answer = await h.call({ method: "PATCH", path: "/v3/components", body });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ component_ids: [N0, N2, N1] });
    conforms("ids", answer.json);
    expect(git(h.repo.path, ["rev-list", "--count", `${before}..main`]).trim()).toBe("1");
    expect(show(`components/${N0}.yaml`)).toMatchObject({ retry_policy: 7, tags: { rack: "r0" } });
    expect(show(`components/${N2}.yaml`)).toMatchObject({ desired_config: "site", enabled: true });
    expect(show(`components/${N1}.yaml`)).toEqual({ ...n1, reconfigure: Number(n1["reconfigure"] ?? 0) + 1 });
    expect(git(h.repo.path, ["show", `main:components/${N1}.yaml`])).toContain("# kept by edits");
    const commit = git(h.repo.path, ["log", "-1", "--format=%an%n%B", "main"]);
    expect(commit).toContain("alice\nUpdate components");
    expect(commit).toContain(`${N0}: retry_policy: 7, tags: rack=r0`);
    expect(commit).toContain(`${N1}: reconfigure`);
    expect(commit).toContain("Cfs-Via: rest-api");
    const listed = await h.call({ path: `/v3/components?ids=${N2}` });
    expect(ids(listed.json)).toEqual([N2]);
    expect(listed.json.components[0]).toMatchObject({ desired_config: "site", enabled: true });
  });

  it("applies two records of one component in order", async () => {
    const body = [
      { id: N1, tags: { owner: "a", rack: "r1" } },
      { id: N1, tags: { rack: "" } },
      { id: N1, tags: { owner: "b" }, enabled: false },
    ];
    const answer = await h.call({ method: "PATCH", path: "/v3/components", body });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ component_ids: [N1, N1, N1] });
    const manifest = show(`components/${N1}.yaml`);
    expect(manifest["tags"]).toMatchObject({ owner: "b" });
    expect(manifest["tags"]).not.toHaveProperty("rack");
    expect(manifest["enabled"]).toBe(false);
  });

  it("answers an empty list, and records that change nothing, without a commit", async () => {
    const before = tip();
    for (const body of [[], [{ id: N0 }]]) {
      const answer = await h.call({ method: "PATCH", path: "/v3/components", body });
      expect(answer.status, answer.text).toBe(200);
      expect(answer.json).toEqual({ component_ids: body.map((record) => record.id) });
    }
    expect(tip()).toBe(before);
  });

  it("answers 404 with CFS's words when one id is unknown, and writes none of the others", async () => {
    const before = tip();
    const body = [
      { id: N0, enabled: false },
      { id: "nope", enabled: false },
    ];
    conforms("array", body);
    const answer = await h.call({ method: "PATCH", path: "/v3/components", body });
    expectProblem(answer, 404, "Component nope could not be found");
    expect(tip()).toBe(before);
  });

  it.each([
    ["a record without id", [{ enabled: true }], /item 0 has none/],
    ["a record that is not an object", [N0], /item 0 has none/],
    ["a field the controller records", [{ id: N0, error_count: 0 }], /error_count/],
    ["a field CFS does not have", [{ id: N0, colour: "red" }], /colour/],
    ["an unknown desired_config", [{ id: N0, desired_config: "nope" }], /nope/],
    ["state other than []", [{ id: N0, state: [{ playbook: "x.yml" }] }], /state can only be cleared/],
  ])("answers 400 for %s and commits nothing", async (_what, body, detail) => {
    const before = tip();
    expectProblem(await h.call({ method: "PATCH", path: "/v3/components", body }), 400, detail);
    expect(tip()).toBe(before);
  });

  it("is refused to a read token", async () => {
    const answer = await h.call({
      method: "PATCH",
      path: "/v3/components",
      token: TOKENS.reader,
      body: [{ id: N0, enabled: true }],
    });
    expectProblem(answer, 403);
  });
});

describe("PUT /v3/components/{id}", () => {
  const N3 = "x1000c0s0b0n3";

  it("creates a component's manifest and answers it as V3ComponentData; a GET sees it at once", async () => {
    const answer = await h.call({
      method: "PUT",
      path: `/v3/components/${N3}`,
      body: { id: N3, desired_config: "site", tags: { rack: "r3" } },
    });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({
      id: N3,
      desired_config: "site",
      enabled: true,
      tags: { rack: "r3" },
    });
    conforms("component", answer.json);
    expect(show(`components/${N3}.yaml`)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Component",
      id: N3,
      desired_config: "site",
      tags: { rack: "r3" },
    });
    expect(git(h.repo.path, ["log", "-1", "--format=%B", "main"])).toContain(`Add component ${N3}`);
    const described = await h.call({ path: `/v3/components/${N3}` });
    expect(described.json).toMatchObject({ id: N3, configuration_status: "pending" });
  });

  it("replaces CFS's fields of an existing component (absent ones back to defaults), keeping reconfigure", async () => {
    const answer = await h.call({ method: "PUT", path: `/v3/components/${N0}`, body: { enabled: false } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toMatchObject({ id: N0, desired_config: "", enabled: false, tags: {} });
    conforms("component", answer.json);
    expect(show(`components/${N0}.yaml`)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Component",
      id: N0,
      enabled: false,
      reconfigure: 1,
    });
    expect(git(h.repo.path, ["log", "-1", "--format=%B", "main"])).toContain(`Replace component ${N0}`);
  });

  it.each([
    ["an unknown desired_config", N3, { desired_config: "nope" }, /desired_config "nope" does not exist/],
    ["an id that is not a file name", "..%2Fx", { enabled: true }, /must be letters/],
    ["an id that is a path", "a%2Fb", { enabled: true }, /must be letters/],
    ["another id in the body", N3, { id: N1 }, "id does not match the path"],
  ])("answers 400 for %s and commits nothing", async (_what, id, body, detail) => {
    const before = tip();
    expectProblem(await h.call({ method: "PUT", path: `/v3/components/${id}`, body }), 400, detail);
    expect(tip()).toBe(before);
  });
});

describe("PUT /v3/components", () => {
  const N4 = "x1000c0s0b0n4";

  it("creates or replaces each listed component, all in one commit, and answers their ids", async () => {
    const before = tip();
    const n2 = show(`components/${N2}.yaml`);
    const body = [
      { id: N4, desired_config: "site", tags: { rack: "r4" } },
      { id: N2, retry_policy: 2 },
    ];
    conforms("array", body);
    const answer = await h.call({ method: "PUT", path: "/v3/components", body });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.json).toEqual({ component_ids: [N4, N2] });
    conforms("ids", answer.json);
    expect(git(h.repo.path, ["rev-list", "--count", `${before}..main`]).trim()).toBe("1");
    expect(show(`components/${N4}.yaml`)).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Component",
      id: N4,
      desired_config: "site",
      tags: { rack: "r4" },
    });
    const { desired_config: _d, enabled: _e, tags: _t, retry_policy: _r, ...kept } = n2;
    expect(show(`components/${N2}.yaml`)).toEqual({ ...kept, retry_policy: 2 });
    const commit = git(h.repo.path, ["log", "-1", "--format=%B", "main"]);
    expect(commit).toContain(`Replace components ${N4}, ${N2}`);
    expect(commit).toContain(`${N4}: added, desired_config: site, tags: rack=r4`);
    expect(commit).toContain(`${N2}: replaced, retry_policy: 2`);
    const listed = await h.call({ path: `/v3/components?ids=${N4}` });
    expect(listed.json.components[0]).toMatchObject({ id: N4, desired_config: "site", enabled: true });
  });

  it.each([
    ["a body that is not a list", { id: N4 }, /must be a list/],
    ["a record without id", [{ enabled: true }], /item 0 has none/],
    ["an id that is a path", [{ id: "../x", enabled: true }], /must be letters/],
    ["an unknown desired_config", [{ id: N4 }, { id: N0, desired_config: "nope" }], /nope/],
    [
      "a field the controller records",
      [{ id: N4, configuration_status: "configured" }],
      /configuration_status/,
    ],
  ])("answers 400 for %s and commits nothing", async (_what, body, detail) => {
    const before = tip();
    expectProblem(await h.call({ method: "PUT", path: "/v3/components", body }), 400, detail);
    expect(tip()).toBe(before);
  });
});

describe("DELETE /v3/components/{id}", () => {
  it("removes the manifest in one commit, answers 204, and then 404", async () => {
    const answer = await h.call({ method: "DELETE", path: `/v3/components/${N2}` });
    expect(answer.status, answer.text).toBe(204);
    expect(git(h.repo.path, ["ls-tree", "--name-only", "main", "components/"])).not.toContain(N2);
    expect(git(h.repo.path, ["log", "-1", "--format=%B", "main"])).toContain("Cfs-Via: rest-api");
    expectProblem(await h.call({ method: "DELETE", path: `/v3/components/${N2}` }), 404);
    expectProblem(await h.call({ path: `/v3/components/${N2}` }), 404);
  });
});

describe("a write read back before the controller's next pass", () => {
  it("shows what a PATCH set on a recorded component, over what the status branch recorded", async () => {
    const patched = await h.call({
      method: "PATCH",
      path: `/v3/components/${N0}`,
      body: { desired_config: "site", enabled: true, tags: { fresh: "yes" } },
    });
    expect(patched.status, patched.text).toBe(200);
    const same = await h.call({ path: `/v3/components/${N0}` });
    expect(same.json).toMatchObject({
      desired_config: "site",
      configuration_status: "configured",
      state: recorded.state,
    });
    expect(same.json.tags).toMatchObject({ fresh: "yes" });
    conforms("component", same.json);

    await h.call({ method: "PATCH", path: `/v3/components/${N0}`, body: { desired_config: "" } });
    const cleared = await h.call({ path: `/v3/components/${N0}` });
    expect(cleared.json).toMatchObject({
      desired_config: "",
      configuration_status: "unconfigured",
      desired_state: [],
    });
    const listed = await h.call({ path: `/v3/components?ids=${N0}` });
    expect(listed.json.components[0]).toMatchObject({
      desired_config: "",
      configuration_status: "unconfigured",
    });
    conforms("component", cleared.json);
  });
});
