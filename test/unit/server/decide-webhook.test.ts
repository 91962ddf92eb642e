import { describe, expect, it } from "vitest";
import { decideWebhook } from "../../../src/server/decide-webhook.js";
import { hmacSha256Hex } from "../../../src/server/webhook-signature.js";

const settings = { secret: "s3cret", branch: "main" };

function github(payload: unknown, event = "push", secret = settings.secret) {
  const body = Buffer.from(JSON.stringify(payload));
  return {
    body,
    headers: {
      "content-type": "application/json",
      "x-github-event": event,
      "x-hub-signature-256": `sha256=${hmacSha256Hex(secret, body)}`,
    },
  };
}

describe("decideWebhook", () => {
  it("triggers a pass on a signed push to the watched branch", () => {
    expect(decideWebhook(github({ ref: "refs/heads/main" }), settings)).toEqual({
      status: 202,
      result: "triggered",
      provider: "github",
      message: "accepted: push to refs/heads/main",
      trigger: true,
    });
  });

  it("ignores pushes to other branches (the status branch included) and tags", () => {
    for (const ref of ["refs/heads/cfs-status", "refs/heads/mainline", "refs/tags/main"]) {
      const decision = decideWebhook(github({ ref }), settings);
      expect(decision).toMatchObject({ status: 200, result: "ignored", trigger: false });
      expect(decision.message).toBe(`ignored: push to ${ref}; watching refs/heads/main`);
    }
  });

  it("answers GitHub's ping and ignores other events", () => {
    expect(decideWebhook(github({ zen: "hi" }, "ping"), settings)).toMatchObject({
      status: 200,
      message: "pong",
    });
    expect(decideWebhook(github({ ref: "refs/heads/main" }, "issues"), settings)).toMatchObject({
      status: 200,
      result: "ignored",
      trigger: false,
    });
  });

  it("rejects a bad signature before reading the payload", () => {
    const request = github("not even an object", "push", "wrong");
    expect(decideWebhook(request, settings)).toMatchObject({
      status: 401,
      result: "unauthorized",
      trigger: false,
    });
  });

  it("says 400 for a signed body that is not a payload", () => {
    const body = Buffer.from("not json");
    const headers = { "x-gitea-signature": hmacSha256Hex(settings.secret, body), "x-gitea-event": "push" };
    expect(decideWebhook({ body, headers }, settings)).toMatchObject({
      status: 400,
      result: "bad_request",
      provider: "gitea",
      message: "body is not JSON",
    });
  });

  it("takes GitLab's token and push hook", () => {
    const body = Buffer.from(JSON.stringify({ object_kind: "push", ref: "refs/heads/main" }));
    const headers = { "x-gitlab-token": settings.secret, "x-gitlab-event": "Push Hook" };
    expect(decideWebhook({ body, headers }, settings)).toMatchObject({
      status: 202,
      provider: "gitlab",
      trigger: true,
    });
  });

  it("never puts the secret in its message", () => {
    const body = Buffer.from("{}");
    const decision = decideWebhook({ body, headers: { "x-gitlab-token": "guess" } }, settings);
    expect(decision.message).not.toContain(settings.secret);
    expect(decision.message).not.toContain("guess");
  });

  describe("pull request events", () => {
    const withForge = { ...settings, pullRequests: true };

    it("asks for a check of an opened or updated pull request, without a pass", () => {
      for (const action of ["opened", "synchronize", "reopened"]) {
        expect(decideWebhook(github({ number: 7, action }, "pull_request"), withForge)).toEqual({
          status: 202,
          result: "pr_check",
          provider: "github",
          message: `accepted: pull request 7 ${action}, checking`,
          trigger: false,
          pullRequest: 7,
        });
      }
    });

    it("ignores closed, edited or labelled pull requests", () => {
      for (const action of ["closed", "edited", "labeled"]) {
        const decision = decideWebhook(github({ number: 7, action }, "pull_request"), withForge);
        expect(decision).toMatchObject({ status: 200, result: "ignored", trigger: false });
        expect(decision.pullRequest).toBeUndefined();
      }
    });

    it("ignores pull requests when no forge is configured, as before", () => {
      const decision = decideWebhook(github({ number: 7, action: "opened" }, "pull_request"), settings);
      expect(decision).toMatchObject({ status: 200, result: "ignored", trigger: false });
      expect(decision.pullRequest).toBeUndefined();
    });

    it("says 400 for a pull request event without a number", () => {
      expect(decideWebhook(github({ action: "opened" }, "pull_request"), withForge)).toMatchObject({
        status: 400,
        result: "bad_request",
      });
    });

    it("reads a GitLab merge request hook (iid and action under object_attributes)", () => {
      const body = Buffer.from(
        JSON.stringify({ object_kind: "merge_request", object_attributes: { iid: 12, action: "update" } }),
      );
      const request = {
        body,
        headers: { "x-gitlab-event": "Merge Request Hook", "x-gitlab-token": settings.secret },
      };
      expect(decideWebhook(request, withForge)).toMatchObject({ status: 202, pullRequest: 12 });
    });
  });
});
