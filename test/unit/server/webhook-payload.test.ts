import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { branchOfRef, parsePushPayload, webhookEvent } from "../../../src/server/webhook-payload.js";

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

/** Trimmed push payloads in the shape each server sends (fields from their documentation). */
const GITHUB_PUSH = {
  ref: "refs/heads/main",
  before: "0".repeat(40),
  after: "a".repeat(40),
  repository: { full_name: "site/config", default_branch: "main" },
  pusher: { name: "alice" },
  commits: [{ id: "a".repeat(40), message: "add session x" }],
};
const GITEA_PUSH = {
  ref: "refs/heads/main",
  before: "0".repeat(40),
  after: "b".repeat(40),
  compare_url: "https://gitea.example.org/site/config/compare/0...b",
  repository: { full_name: "site/config" },
  pusher: { login: "alice" },
};
const GITLAB_PUSH = {
  object_kind: "push",
  event_name: "push",
  ref: "refs/heads/main",
  checkout_sha: "c".repeat(40),
  project: { path_with_namespace: "site/config" },
  commits: [],
};

describe("parsePushPayload", () => {
  it.each([
    ["GitHub", GITHUB_PUSH, null],
    ["Gitea", GITEA_PUSH, null],
    ["GitLab", GITLAB_PUSH, "push"],
  ])("reads the ref of a %s push", (_name, payload, objectKind) => {
    expect(parsePushPayload({ body: json(payload), contentType: "application/json" })).toEqual({
      ok: true,
      payload: { ref: "refs/heads/main", objectKind, pullRequest: null },
    });
  });

  it("reads a form-encoded payload (GitHub and Gitea offer that content type)", () => {
    const body = Buffer.from(new URLSearchParams({ payload: JSON.stringify(GITHUB_PUSH) }).toString());
    const result = parsePushPayload({
      body,
      contentType: "application/x-www-form-urlencoded; charset=utf-8",
    });
    expect(result).toEqual({
      ok: true,
      payload: { ref: "refs/heads/main", objectKind: null, pullRequest: null },
    });
  });

  it("reports bodies it cannot read", () => {
    expect(parsePushPayload({ body: Buffer.from("{"), contentType: undefined })).toEqual({
      ok: false,
      reason: "body is not JSON",
    });
    expect(parsePushPayload({ body: json([1]), contentType: undefined })).toEqual({
      ok: false,
      reason: "payload is not a JSON object",
    });
    expect(
      parsePushPayload({ body: Buffer.from("a=b"), contentType: "application/x-www-form-urlencoded" }),
    ).toEqual({
      ok: false,
      reason: "body is not JSON",
    });
  });

  it("reads JSON sent with a form content type but no payload field (curl -d)", () => {
    const result = parsePushPayload({
      body: json(GITLAB_PUSH),
      contentType: "application/x-www-form-urlencoded",
    });
    expect(result).toEqual({
      ok: true,
      payload: { ref: "refs/heads/main", objectKind: "push", pullRequest: null },
    });
  });

  it("never throws, whatever the bytes", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 256 }),
        fc.constantFrom(undefined, "application/json", "application/x-www-form-urlencoded"),
        (body, contentType) => {
          parsePushPayload({ body, contentType });
        },
      ),
    );
  });

  it("treats a non-string ref as absent", () => {
    expect(parsePushPayload({ body: json({ ref: 5 }), contentType: undefined })).toEqual({
      ok: true,
      payload: { ref: null, objectKind: null, pullRequest: null },
    });
  });
});

describe("webhookEvent", () => {
  const push = { ref: "refs/heads/main", objectKind: null, pullRequest: null };
  it.each([
    ["github", { "x-github-event": "push" }, push, "push"],
    ["github", { "x-github-event": "ping" }, { ref: null, objectKind: null, pullRequest: null }, "ping"],
    ["github", { "x-github-event": "pull_request" }, push, "pull_request"],
    ["github", { "x-github-event": "issues" }, push, "other"],
    ["gitea", { "x-gitea-event": "pull_request" }, push, "pull_request"],
    ["gitlab", { "x-gitlab-event": "Merge Request Hook" }, push, "pull_request"],
    ["gitea", { "x-gitea-event": "push" }, push, "push"],
    ["gitea", { "x-gitea-event": "create" }, push, "other"],
    ["gitlab", { "x-gitlab-event": "Push Hook" }, push, "push"],
    ["gitlab", { "x-gitlab-event": "Tag Push Hook" }, push, "other"],
    [
      "gitlab",
      { "x-gitlab-event": "System Hook" },
      { ref: "refs/heads/main", objectKind: "push", pullRequest: null },
      "push",
    ],
    [
      "gitlab",
      { "x-gitlab-event": "System Hook" },
      { ref: null, objectKind: "repository_update", pullRequest: null },
      "other",
    ],
    ["gitea", {}, push, "push"],
    ["gitea", {}, { ref: null, objectKind: null, pullRequest: null }, "other"],
  ] as const)("%s %j -> %s", (provider, headers, payload, expected) => {
    expect(webhookEvent({ provider, headers, payload })).toBe(expected);
  });
});

describe("branchOfRef", () => {
  it("gives the branch of refs/heads/<branch> and null for anything else", () => {
    expect(branchOfRef("refs/heads/main")).toBe("main");
    expect(branchOfRef("refs/heads/feature/x")).toBe("feature/x");
    expect(branchOfRef("refs/tags/main")).toBeNull();
    expect(branchOfRef("main")).toBeNull();
    expect(branchOfRef("refs/heads/")).toBeNull();
  });

  it("round-trips any branch name", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (branch) => branchOfRef(`refs/heads/${branch}`) === branch),
    );
  });
});
