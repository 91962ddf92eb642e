/**
 * Contract tests of `/v3/sessions` over a real repository: every answer's body is validated
 * against the real CFS spec (records with the nulls CFS itself prints, see cfs-openapi.ts), every
 * write is checked in Git, and both path forms (`/apis/cfs/v3`, `/v3`) are served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SessionRecord } from "../../../../src/api/index.js";
import { git } from "../../../helpers/config-repo.js";
import { findReferenceSpec } from "../../../helpers/reference-spec.js";
import { allowCfsNulls, cfsSchemaValidator } from "../../cli/cfs-openapi.js";
import { sessionManifest, sessionRecord } from "../../cli/cli-harness.js";
import type { ApiAnswer } from "../../../helpers/api-client.js";
import { startApiHarness, type ApiHarness } from "./api-harness.js";

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString().replace(/\.\d{3}Z$/, "Z");
const CRAY_BODY = (name: string, configuration = "site") => ({
  name,
  configuration_name: configuration,
  target: { definition: "dynamic", groups: [], image_map: [] },
});

let h: ApiHarness;
const spec = findReferenceSpec("cfs");
const validator = (name: string, patch = false) =>
  spec.path === null
    ? null
    : cfsSchemaValidator({ spec: spec.path, name, ...(patch ? { patch: allowCfsNulls } : {}) });
const schemas = {
  session: validator("V3SessionData", true),
  collection: validator("V3SessionDataCollection", true),
  ids: validator("V3SessionIdCollection"),
  problem: validator("ProblemDetails"),
};

/** Validates a body against a spec schema (a no-op, said in the output, when the spec is absent). */
function conforms(schema: keyof typeof schemas, body: unknown): void {
  const validate = schemas[schema];
  if (validate === null) return;
  expect(validate(body), `${schema}: ${JSON.stringify(validate.errors)}`).toBe(true);
}

function expectProblem(answer: ApiAnswer, status: number, detail?: string): void {
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.json.status).toBe(status);
  if (detail !== undefined) expect(answer.json.detail).toBe(detail);
  conforms("problem", answer.json);
}

beforeAll(async () => {
  const seeded = ["s-ok", "s-failed", "s-running", "s-old-ok"];
  h = await startApiHarness({
    files: Object.fromEntries(seeded.map((name) => [`sessions/${name}.yaml`, sessionManifest(name)])),
  });
  await h.writeStatus({
    "sessions/s-ok.json": sessionRecord({
      name: "s-ok",
      status: "complete",
      start: ago(2 * HOUR),
      completion: ago(HOUR),
      tags: { bos_session: "abc" },
    }),
    "sessions/s-failed.json": sessionRecord({
      name: "s-failed",
      status: "complete",
      succeeded: "false",
      start: ago(72 * HOUR),
      completion: ago(71 * HOUR),
    }),
    "sessions/s-running.json": sessionRecord({ name: "s-running", status: "running", start: ago(HOUR / 2) }),
    "sessions/s-old-ok.json": sessionRecord({
      name: "s-old-ok",
      status: "complete",
      start: ago(200 * HOUR),
      completion: ago(199 * HOUR),
      tags: { bos_session: "abc" },
    }),
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

it("has the CFS spec to validate the bodies against (else every conforms() check is skipped, said here)", (context) => {
  if (spec.path === null) context.skip(spec.skipReason);
  expect(schemas.session).not.toBeNull();
});

const names = (body: unknown) => (body as { sessions: SessionRecord[] }).sessions.map((s) => s.name);

describe("GET /v3/sessions", () => {
  it("lists every session sorted by name, the same under /apis/cfs/v3 and /v3", async () => {
    const long = await h.call({ path: "/apis/cfs/v3/sessions" });
    const short = await h.call({ path: "/v3/sessions" });
    expect(long.status).toBe(200);
    expect(names(long.json)).toEqual(["s-failed", "s-ok", "s-old-ok", "s-running"]);
    expect(short.json).toEqual(long.json);
    expect(long.json.next).toBeNull();
    conforms("collection", long.json);
  });

  it.each([
    ["status=complete", ["s-failed", "s-ok", "s-old-ok"]],
    ["status=running", ["s-running"]],
    ["succeeded=false", ["s-failed"]],
    ["min_age=1d", ["s-failed", "s-old-ok"]],
    ["max_age=1d", ["s-ok", "s-running"]],
    ["min_age=1d&max_age=4d", ["s-failed"]],
    ["tags=bos_session%3Dabc", ["s-ok", "s-old-ok"]],
    ["name_contains=ok", ["s-ok", "s-old-ok"]],
    ["status=&succeeded=", ["s-failed", "s-ok", "s-old-ok", "s-running"]],
  ])("filters with %s", async (query, expected) => {
    const answer = await h.call({ path: `/apis/cfs/v3/sessions?${query}` });
    expect(answer.status).toBe(200);
    expect(names(answer.json)).toEqual(expected);
    conforms("collection", answer.json);
  });

  it("pages with limit and after_id, and says where the next page starts", async () => {
    const first = await h.call({ path: "/apis/cfs/v3/sessions?limit=3" });
    expect(names(first.json)).toEqual(["s-failed", "s-ok", "s-old-ok"]);
    expect(first.json.next).toEqual({ limit: 3, after_id: "s-old-ok" });
    conforms("collection", first.json);
    const second = await h.call({
      path: `/apis/cfs/v3/sessions?limit=3&after_id=${first.json.next.after_id}`,
    });
    expect(names(second.json)).toEqual(["s-running"]);
    expect(second.json.next).toBeNull();
  });

  it.each([["status=done"], ["succeeded=maybe"], ["min_age=soon"], ["limit=0"], ["tags=novalue"]])(
    "answers 400 problem+json for a bad filter: %s",
    async (query) => {
      expectProblem(await h.call({ path: `/apis/cfs/v3/sessions?${query}` }), 400);
    },
  );
});

describe("GET /v3/sessions/{name}", () => {
  it("describes one session", async () => {
    const answer = await h.call({ path: "/apis/cfs/v3/sessions/s-failed" });
    expect(answer.status).toBe(200);
    expect(answer.json.name).toBe("s-failed");
    expect(answer.json.status.session.succeeded).toBe("false");
    conforms("session", answer.json);
  });

  it("answers 404 with CFS's words for an unknown session", async () => {
    expectProblem(await h.call({ path: "/v3/sessions/nope" }), 404, "Session nope could not be found");
  });
});

describe("POST /v3/sessions", () => {
  it("creates a session from the body cray sends (empty groups and image_map), answers 201 with the pending record, and a GET sees it at once", async () => {
    const answer = await h.call({
      method: "POST",
      path: "/apis/cfs/v3/sessions",
      body: CRAY_BODY("api-one"),
    });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.json.name).toBe("api-one");
    expect(answer.json.status.session.status).toBe("pending");
    expect(answer.json.configuration.name).toBe("site");
    conforms("session", answer.json);
    const described = await h.call({ path: "/v3/sessions/api-one" });
    expect(described.status).toBe(200);
    expect(described.json.status.session.job).toBe(answer.json.status.session.job);
    const manifest = git(h.repo.path, ["show", "main:sessions/api-one.yaml"]);
    expect(manifest).toContain("definition: dynamic");
    expect(manifest).not.toContain("groups");
    const commit = git(h.repo.path, ["log", "-1", "--format=%an%n%B", "main", "--", "sessions/api-one.yaml"]);
    expect(commit).toContain("alice");
    expect(commit).toContain("Add session api-one");
    expect(commit).toContain("Cfs-Via: rest-api");
  });

  it("maps every V3SessionCreate field into the manifest", async () => {
    const answer = await h.call({
      method: "POST",
      path: "/v3/sessions",
      body: {
        name: "api-full",
        configuration_name: "site",
        configuration_limit: "base",
        ansible_limit: "x1000c0s0b0n0",
        ansible_verbosity: 2,
        ansible_passthrough: "--forks 5",
        target: { definition: "spec", groups: [{ name: "Compute", members: ["x1000c0s0b0n0"] }] },
        tags: { bos_session: "xyz" },
        debug_on_failure: false,
      },
    });
    expect(answer.status, answer.text).toBe(201);
    expect(answer.json.configuration.limit).toBe("base");
    expect(answer.json.ansible.limit).toBe("x1000c0s0b0n0");
    expect(answer.json.ansible.verbosity).toBe(2);
    expect(answer.json.target.groups).toEqual([{ name: "Compute", members: ["x1000c0s0b0n0"] }]);
    expect(answer.json.tags).toEqual({ bos_session: "xyz" });
    conforms("session", answer.json);
  });

  it("answers 409 'A session with the name X already exists' and commits nothing", async () => {
    const before = git(h.repo.path, ["rev-parse", "main"]);
    for (const name of ["api-one", "s-ok"]) {
      const answer = await h.call({ method: "POST", path: "/v3/sessions", body: CRAY_BODY(name) });
      expectProblem(answer, 409, `A session with the name ${name} already exists`);
    }
    expect(git(h.repo.path, ["rev-parse", "main"])).toBe(before);
  });

  it("answers 400 'No configurations exist named X' for an unknown configuration", async () => {
    const answer = await h.call({ method: "POST", path: "/v3/sessions", body: CRAY_BODY("api-two", "nope") });
    expectProblem(answer, 400, "No configurations exist named nope");
  });

  it.each([
    [
      "an unknown field",
      { ...CRAY_BODY("api-x"), colour: "red" },
      "Additional properties are not allowed ('colour' was unexpected)",
    ],
    [
      "an unknown target field",
      { name: "api-x", configuration_name: "site", target: { definition: "dynamic", nodes: [] } },
      undefined,
    ],
    ["no name", { configuration_name: "site" }, "'name' is a required property"],
    ["no configuration", { name: "api-x" }, "'configuration_name' is a required property"],
    ["a name that is not a DNS subdomain", CRAY_BODY("Api_X"), undefined],
    ["a verbosity out of range", { ...CRAY_BODY("api-x"), ansible_verbosity: 9 }, undefined],
    ["an array", [CRAY_BODY("api-x")], undefined],
  ])("answers 400 for %s", async (_what, body, detail) => {
    const answer = await h.call({ method: "POST", path: "/v3/sessions", body });
    expectProblem(answer, 400, detail);
    expect(git(h.repo.path, ["ls-tree", "--name-only", "main", "sessions/"])).not.toContain("api-x");
  });

  it("refuses a body that is not JSON (400), nested too deep (400) or too large (413)", async () => {
    expectProblem(
      await h.call({ method: "POST", path: "/v3/sessions", raw: "{name:" }),
      400,
      "The request body is not valid JSON",
    );
    const deep = `${"[".repeat(100)}${"]".repeat(100)}`;
    expectProblem(await h.call({ method: "POST", path: "/v3/sessions", raw: deep }), 400);
    const huge = JSON.stringify({ ...CRAY_BODY("api-x"), tags: { big: "x".repeat(2 * 1024 * 1024) } });
    expectProblem(await h.call({ method: "POST", path: "/v3/sessions", raw: huge }), 413);
  });
});

describe("DELETE /v3/sessions/{name}", () => {
  it("removes the manifest in one commit (204), then answers 404", async () => {
    await h.call({ method: "POST", path: "/v3/sessions", body: CRAY_BODY("api-gone") });
    const answer = await h.call({ method: "DELETE", path: "/apis/cfs/v3/sessions/api-gone" });
    expect(answer.status).toBe(204);
    expect(answer.text).toBe("");
    expect(git(h.repo.path, ["ls-tree", "--name-only", "main", "sessions/"])).not.toContain("api-gone");
    expect(git(h.repo.path, ["log", "-1", "--format=%B", "main"])).toContain("Delete session api-gone");
    expectProblem(
      await h.call({ method: "DELETE", path: "/v3/sessions/api-gone" }),
      404,
      "Session api-gone could not be found",
    );
  });
});

describe("DELETE /v3/sessions", () => {
  it("deletes only complete sessions matching every filter, in one commit, and names them", async () => {
    const before = git(h.repo.path, ["rev-parse", "main"]);
    const answer = await h.call({
      method: "DELETE",
      path: "/apis/cfs/v3/sessions?tags=bos_session%3Dabc&min_age=1d",
    });
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ session_ids: ["s-old-ok"] });
    conforms("ids", answer.json);
    expect(git(h.repo.path, ["rev-list", "--count", `${before}..main`])).toBe("1");
    const files = git(h.repo.path, ["ls-tree", "--name-only", "main", "sessions/"]);
    expect(files).not.toContain("s-old-ok");
    expect(files).toContain("s-ok.yaml");
  });

  it("answers an empty list when nothing matches, committing nothing", async () => {
    const before = git(h.repo.path, ["rev-parse", "main"]);
    const answer = await h.call({ method: "DELETE", path: "/v3/sessions?name_contains=zzz" });
    expect(answer.json).toEqual({ session_ids: [] });
    expect(git(h.repo.path, ["rev-parse", "main"])).toBe(before);
  });

  it("with status= deletes any status", async () => {
    const answer = await h.call({ method: "DELETE", path: "/v3/sessions?status=&name_contains=running" });
    expect(answer.json).toEqual({ session_ids: ["s-running"] });
  });
});

describe("the default page size", () => {
  it("pages a list without limit by default_page_size (1000 in CFS; 2 here), as CFS v3 does", async () => {
    const small = await startApiHarness({
      pageSize: 2,
      files: Object.fromEntries(["a", "b", "c"].map((n) => [`sessions/${n}.yaml`, sessionManifest(n)])),
    });
    try {
      const first = await small.call({ path: "/v3/sessions" });
      expect(names(first.json)).toEqual(["a", "b"]);
      expect(first.json.next).toEqual({ limit: 2, after_id: "b" });
      conforms("collection", first.json);
      const rest = await small.call({ path: "/v3/sessions?after_id=b" });
      expect(names(rest.json)).toEqual(["c"]);
      expect(rest.json.next).toBeNull();
      const configurations = await small.call({ path: "/v3/configurations?limit=" });
      expect(configurations.json.next).toBeNull();
      expect((await small.call({ path: "/v3/sessions?limit=3" })).json.next).toBeNull();
    } finally {
      await small.close();
    }
  });
});
