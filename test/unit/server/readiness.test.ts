import { describe, expect, it } from "vitest";
import { readinessChecks, readinessResponse, type ReadinessState } from "../../../src/server/readiness.js";

const ready: ReadinessState = {
  gitFetch: { ok: true, error: null },
  runner: null,
  leader: { elect: false },
  loop: { state: "ok", failures: 0, last: null },
};

describe("readinessChecks", () => {
  it("is ready when the fetch succeeded, the runner reports nothing and election is off", () => {
    const response = readinessResponse(readinessChecks(ready));
    expect(response.status).toBe(200);
    expect(response.body).toBe(
      "[+]git-fetch ok: last fetch succeeded\n[+]runner ok: runner reports no readiness\n[+]leader ok: leader election is off\n[+]loop ok: the last pass succeeded\nready\n",
    );
  });

  it.each<[string, Partial<ReadinessState>, string]>([
    ["before the first fetch", { gitFetch: { ok: null, error: null } }, "[-]git-fetch failed: no fetch yet"],
    [
      "after a failed fetch",
      { gitFetch: { ok: false, error: "GitFetchError: could not reach https://***@git.example.org" } },
      "[-]git-fetch failed: last fetch failed: GitFetchError: could not reach https://***@git.example.org",
    ],
    ["while the runner syncs", { runner: false }, "[-]runner failed: runner is not synced yet"],
    [
      "while another replica leads",
      { leader: { elect: true, leading: false, lease: "cfs/cfs-gitops", holder: "pod-b_1" } },
      "[-]leader failed: not the leader: lease cfs/cfs-gitops is held by pod-b_1",
    ],
    [
      "while the loop is stalled",
      {
        loop: {
          state: "stalled",
          failures: 1,
          last: {
            scope: "pass",
            failure: "stalling",
            message: "GitAuthError: the server refused the credentials",
          },
        },
      },
      "[-]loop failed: stalled (pass: GitAuthError: the server refused the credentials); retried at the next resync or change",
    ],
    [
      "while transient failures are retried",
      {
        loop: {
          state: "retrying",
          failures: 3,
          last: {
            scope: "start",
            failure: "transient",
            message: "could not create Job x: 503",
            session: "x",
          },
        },
      },
      "[-]loop failed: retrying with backoff after 3 transient failure(s) (start x: could not create Job x: 503)",
    ],
    [
      "while the REST API does not listen",
      { api: { listening: false, address: ":8443", scheme: "https", tokens: 2, jwksKeys: null } },
      "[-]api failed: not listening (https on :8443)",
    ],
    [
      "while neither a token nor a JWKS key admits anyone to the REST API",
      { api: { listening: true, address: ":8443", scheme: "https", tokens: 0, jwksKeys: 0 } },
      "[-]api failed: serving https on :8443, but no token or key admits anyone",
    ],
    [
      "before anyone holds the lease",
      { leader: { elect: true, leading: false, lease: "cfs/cfs-gitops", holder: null } },
      "[-]leader failed: not the leader: lease cfs/cfs-gitops is held by nobody yet",
    ],
  ])("is not ready %s, and says which check fails", (_when, change, line) => {
    const response = readinessResponse(readinessChecks({ ...ready, ...change }));
    expect(response.status).toBe(503);
    expect(response.body.split("\n")).toContain(line);
    expect(response.body.endsWith("not ready\n")).toBe(true);
  });

  it("is ready while holding the lease with a synced runner", () => {
    const state: ReadinessState = {
      ...ready,
      runner: true,
      leader: { elect: true, leading: true, lease: "cfs/cfs-gitops", holder: "me" },
    };
    expect(readinessResponse(readinessChecks(state)).status).toBe(200);
  });

  it("stays ready while unverified commits hold the branch back, with a warning line naming them", () => {
    const held = {
      blocking: 1,
      message: "1 commit(s) not verified; held at 0123456789ab: fedcba987654 by Eve is unsigned",
    };
    const response = readinessResponse(readinessChecks({ ...ready, commits: held }));
    expect(response.status).toBe(200);
    expect(response.body.split("\n")).toContain(`[!]commit-verification warning: ${held.message}`);
    const clear = readinessResponse(
      readinessChecks({ ...ready, commits: { blocking: 0, message: "verified up to 0123456789ab" } }),
    );
    expect(clear.body.split("\n")).toContain("[+]commit-verification ok: verified up to 0123456789ab");
  });

  it("includes the REST API's listener when it serves, and leaves it out otherwise", () => {
    const api = { listening: true, address: ":8443", scheme: "https", tokens: 2, jwksKeys: null } as const;
    const response = readinessResponse(readinessChecks({ ...ready, api }));
    expect(response.status).toBe(200);
    expect(response.body.split("\n")).toContain("[+]api ok: serving https on :8443 with 2 token(s)");
    const keys = readinessResponse(readinessChecks({ ...ready, api: { ...api, tokens: 0, jwksKeys: 1 } }));
    expect(keys.body.split("\n")).toContain(
      "[+]api ok: serving https on :8443 with 0 token(s) and 1 JWKS key(s)",
    );
    expect(readinessChecks(ready).map((c) => c.name)).not.toContain("api");
  });
});
