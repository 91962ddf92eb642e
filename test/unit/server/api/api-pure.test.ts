/** The REST API's pure pieces: routing, the depth check, the create body's translation. */
import { describe, expect, it } from "vitest";
import {
  ApiError,
  deeperThan,
  matchRoute,
  matchTemplate,
  sessionManifestFromBody,
  stripPrefix,
  type ApiRoute,
} from "../../../../src/server/api/index.js";

const handler = () => Promise.resolve({ status: 200 });
const ROUTES: ApiRoute[] = [
  { method: "GET", template: "/v3/sessions", handler },
  { method: "POST", template: "/v3/sessions", handler },
  { method: "GET", template: "/v3/sessions/{session_name}", handler },
  { method: "GET", template: "/", handler },
];

describe("stripPrefix", () => {
  it.each([
    ["/apis/cfs/v3/sessions", "/apis/cfs", "/v3/sessions"],
    ["/v3/sessions", "/apis/cfs", "/v3/sessions"],
    ["/apis/cfs", "/apis/cfs", "/"],
    ["/apis/cfs/", "/apis/cfs", "/"],
    ["/apis/cfsx/v3", "/apis/cfs", "/apis/cfsx/v3"],
    ["/v3/sessions", "", "/v3/sessions"],
  ])("%s with prefix %s is %s", (path, prefix, expected) => {
    expect(stripPrefix(path, prefix)).toBe(expected);
  });
});

describe("matchRoute", () => {
  it("finds a route and decodes its parameters", () => {
    const match = matchRoute(ROUTES, "GET", "/v3/sessions/a%2Eb");
    expect(match.kind === "route" && match.params).toEqual({ session_name: "a.b" });
  });

  it("tells the allowed methods of a known path, and nothing for an unknown one", () => {
    expect(matchRoute(ROUTES, "DELETE", "/v3/sessions")).toEqual({
      kind: "method",
      allowed: ["GET", "POST"],
    });
    expect(matchRoute(ROUTES, "GET", "/v3/nothing")).toEqual({ kind: "none" });
    expect(matchRoute(ROUTES, "GET", "/v3/sessions/a/b")).toEqual({ kind: "none" });
  });

  it("takes a trailing slash, and never an empty parameter", () => {
    expect(matchTemplate("/v3/sessions", "/v3/sessions/")).toEqual({});
    expect(matchTemplate("/", "/")).toEqual({});
    expect(matchTemplate("/v3/sessions/{session_name}", "/v3/sessions/")).toBeNull();
  });
});

describe("deeperThan", () => {
  const nest = (depth: number): unknown => (depth === 0 ? 1 : [nest(depth - 1)]);
  it.each([
    [1, 0, false],
    [{}, 1, false],
    [nest(32), 32, false],
    [nest(33), 32, true],
    [{ a: { b: { c: 1 } } }, 2, true],
  ])("%j deeper than %i: %s", (value, max, expected) => {
    expect(deeperThan(value, max)).toBe(expected);
  });
});

describe("sessionManifestFromBody", () => {
  it("turns the body cray sends into a manifest without the empty lists", () => {
    expect(
      sessionManifestFromBody({
        name: "x",
        configuration_name: "c",
        target: { definition: "dynamic", groups: [], image_map: [] },
      }),
    ).toEqual({
      apiVersion: "cfs-gitops/v1",
      kind: "Session",
      name: "x",
      configuration: { name: "c" },
      target: { definition: "dynamic" },
    });
  });

  it("maps the flat ansible_* fields into the ansible section", () => {
    const manifest = sessionManifestFromBody({
      name: "x",
      configuration_name: "c",
      configuration_limit: "a,b",
      ansible_config: "cfg",
      ansible_limit: "n1",
      ansible_verbosity: 3,
      ansible_passthrough: "-t x",
      tags: { k: "v" },
      debug_on_failure: true,
    });
    expect(manifest).toMatchObject({
      configuration: { name: "c", limit: "a,b" },
      ansible: { config: "cfg", limit: "n1", verbosity: 3, passthrough: "-t x" },
      tags: { k: "v" },
      debug_on_failure: true,
    });
    expect(manifest.target).toBeUndefined();
  });

  it.each([
    [null, "The request body must be a JSON object"],
    ["x", "The request body must be a JSON object"],
    [{ name: "x" }, "'configuration_name' is a required property"],
    [{ name: 1, configuration_name: "c" }, "1 is not of type 'string' - 'name'"],
    [
      { name: "x", configuration_name: "c", a: 1, b: 2 },
      "Additional properties are not allowed ('a', 'b' were unexpected)",
    ],
    [{ name: "x", configuration_name: "c", target: [] }, "target must be a JSON object"],
  ])("refuses %j with 400: %s", (body, detail) => {
    let error: unknown = null;
    try {
      sessionManifestFromBody(body);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).detail).toBe(detail);
  });
});
