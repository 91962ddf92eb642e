/**
 * The GitHub and GitLab forges against recorded-shape servers (no real GitHub or GitLab runs
 * here; Gitea is tested for real in gitea-forge.test.ts). Every request is checked against the
 * published REST documentation cited on each route: method, path, query keys, headers, body
 * fields and values. A request the documentation does not describe fails the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  ForgeError,
  createGithubForge,
  createGitlabForge,
  tokenFromFile,
  type Forge,
} from "../../../src/forge/index.js";
import { startShapeServer, type ShapeRoute, type ShapeServer } from "../../helpers/forge-shape-server.js";

const TOKEN = "ghp_shapeTestToken0123456789";
const SHA = "a".repeat(40);
const MARKER_LINE = "<!-- cfs-gitops:pr-preview -->";

let dir: string;
let server: ShapeServer | null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cfs-forge-shapes-"));
  writeFileSync(join(dir, "token"), `${TOKEN}\n`);
  server = null;
});

afterEach(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `n` comments, the one with our marker (if any) at position `markerAt`. */
function commentList(n: number, first: number, markerAt: number | null): { id: number; body: string }[] {
  return Array.from({ length: n }, (_, i) => ({
    id: first + i,
    body: first + i === markerAt ? `${MARKER_LINE}\nold preview` : `someone else's comment ${first + i}`,
  }));
}

// ---- GitHub ---------------------------------------------------------------------------------------

/** https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api (headers, API version). */
function githubHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  if (headers.accept !== "application/vnd.github+json") out.push(`accept is ${String(headers.accept)}`);
  if (headers["x-github-api-version"] !== "2022-11-28") out.push("no X-GitHub-Api-Version: 2022-11-28");
  if (headers.authorization !== `Bearer ${TOKEN}`) out.push("authorization is not Bearer <token>");
  if (!headers["user-agent"]) out.push("no User-Agent (GitHub refuses requests without one)");
  return out;
}

function githubRoutes(input: {
  commentPages: { id: number; body: string }[][];
  filePages: unknown[][];
}): ShapeRoute[] {
  const repo = String.raw`/repos/site/config`;
  return [
    {
      // https://docs.github.com/en/rest/commits/statuses#create-a-commit-status
      method: "POST",
      path: new RegExp(`^${repo}/statuses/([0-9a-f]{40})$`),
      doc: "commits/statuses#create-a-commit-status",
      body: {
        required: ["state"],
        optional: ["target_url", "description", "context"],
        enums: { state: ["error", "failure", "pending", "success"] },
      },
      answer: ({ body }) => ({ status: 201, json: { id: 1, ...body } }),
    },
    {
      // https://docs.github.com/en/rest/issues/comments#list-issue-comments (per_page at most 100)
      method: "GET",
      path: new RegExp(`^${repo}/issues/(\\d+)/comments$`),
      doc: "issues/comments#list-issue-comments",
      query: ["since", "per_page", "page"],
      answer: ({ query }) => ({
        status: 200,
        json: input.commentPages[Number(query.get("page") ?? 1) - 1] ?? [],
      }),
    },
    {
      // https://docs.github.com/en/rest/issues/comments#create-an-issue-comment
      method: "POST",
      path: new RegExp(`^${repo}/issues/(\\d+)/comments$`),
      doc: "issues/comments#create-an-issue-comment",
      body: { required: ["body"] },
      answer: ({ body }) => ({ status: 201, json: { id: 9001, body: body?.body } }),
    },
    {
      // https://docs.github.com/en/rest/issues/comments#update-an-issue-comment
      method: "PATCH",
      path: new RegExp(`^${repo}/issues/comments/(\\d+)$`),
      doc: "issues/comments#update-an-issue-comment",
      body: { required: ["body"] },
      answer: ({ match, body }) => ({ status: 200, json: { id: Number(match[1]), body: body?.body } }),
    },
    {
      // https://docs.github.com/en/rest/pulls/pulls#get-a-pull-request
      method: "GET",
      path: new RegExp(`^${repo}/pulls/(\\d+)$`),
      doc: "pulls/pulls#get-a-pull-request",
      answer: ({ match }) => ({
        status: 200,
        json: {
          number: Number(match[1]),
          state: "open",
          head: { ref: "add-sessions", sha: SHA, repo: { full_name: "fork/config" } },
          base: { ref: "main", sha: "b".repeat(40) },
        },
      }),
    },
    {
      // https://docs.github.com/en/rest/pulls/pulls#list-pull-requests-files (per_page at most 100)
      method: "GET",
      path: new RegExp(`^${repo}/pulls/(\\d+)/files$`),
      doc: "pulls/pulls#list-pull-requests-files",
      query: ["per_page", "page"],
      answer: ({ query }) => ({
        status: 200,
        json: input.filePages[Number(query.get("page") ?? 1) - 1] ?? [],
      }),
    },
  ];
}

function githubForge(url: string): Forge {
  return createGithubForge({ baseUrl: url, repo: "site/config", token: tokenFromFile(join(dir, "token")) });
}

describe("the GitHub forge, against GitHub's documented REST shapes", () => {
  it("sets a commit status with the documented fields and headers", async () => {
    server = await startShapeServer({
      routes: githubRoutes({ commentPages: [], filePages: [] }),
      headers: githubHeaders,
    });
    await githubForge(server.url).setCommitStatus({
      sha: SHA,
      context: "cfs-gitops/validate",
      state: "failure",
      description: "1 problem: sessions/x.yaml:3: bad",
      targetUrl: "https://ci.example.org/1",
    });
    expect(server.violations).toEqual([]);
    expect(server.requests).toEqual([
      {
        method: "POST",
        path: `/repos/site/config/statuses/${SHA}`,
        query: "",
        body: {
          state: "failure",
          context: "cfs-gitops/validate",
          description: "1 problem: sessions/x.yaml:3: bad",
          target_url: "https://ci.example.org/1",
        },
      },
    ]);
  });

  it("edits the comment carrying the marker, found on the second page, instead of adding one", async () => {
    const commentPages = [commentList(100, 1, null), commentList(3, 101, 102)];
    server = await startShapeServer({
      routes: githubRoutes({ commentPages, filePages: [] }),
      headers: githubHeaders,
    });
    const id = await githubForge(server.url).upsertComment({
      pr: 7,
      marker: "pr-preview",
      body: "new preview",
    });
    expect(server.violations).toEqual([]);
    expect(id).toBe(102);
    expect(server.requests.map((r) => `${r.method} ${r.path}${r.query}`)).toEqual([
      "GET /repos/site/config/issues/7/comments?per_page=100&page=1",
      "GET /repos/site/config/issues/7/comments?per_page=100&page=2",
      "PATCH /repos/site/config/issues/comments/102",
    ]);
    expect(server.requests[2]!.body).toEqual({ body: `${MARKER_LINE}\nnew preview` });
  });

  it("creates the comment when none carries the marker", async () => {
    server = await startShapeServer({
      routes: githubRoutes({ commentPages: [commentList(2, 1, null)], filePages: [] }),
      headers: githubHeaders,
    });
    const id = await githubForge(server.url).upsertComment({ pr: 7, marker: "pr-preview", body: "preview" });
    expect(server.violations).toEqual([]);
    expect(id).toBe(9001);
    expect(server.requests.at(-1)).toMatchObject({
      method: "POST",
      path: "/repos/site/config/issues/7/comments",
    });
  });

  it("reads a pull request's head, base and every changed file (renames with both paths)", async () => {
    const page1 = Array.from({ length: 100 }, (_, i) => ({
      filename: `ansible/f${i}.yml`,
      status: "modified",
    }));
    const page2 = [
      { filename: "sessions/new.yaml", previous_filename: "sessions/old.yaml", status: "renamed" },
    ];
    server = await startShapeServer({
      routes: githubRoutes({ commentPages: [], filePages: [page1, page2] }),
      headers: githubHeaders,
    });
    const pr = await githubForge(server.url).getPullRequest(7);
    expect(server.violations).toEqual([]);
    expect(pr).toMatchObject({
      number: 7,
      headSha: SHA,
      base: "main",
      headBranch: "add-sessions",
      headRef: "refs/pull/7/head",
    });
    expect(pr.changedFiles).toHaveLength(102);
    expect(pr.changedFiles).toContain("sessions/old.yaml");
    expect(pr.changedFiles).toContain("sessions/new.yaml");
  });

  it("reads a rate limit (403 with X-RateLimit-Remaining: 0) as transient with the wait until the reset", async () => {
    const reset = Math.floor(Date.UTC(2026, 0, 1, 0, 1) / 1000);
    server = await startShapeServer({
      routes: [
        {
          // https://docs.github.com/en/rest/using-the-rest-api/rate-limits-for-the-rest-api#exceeding-the-rate-limit
          method: "POST",
          path: /^\/repos\/site\/config\/statuses\/[0-9a-f]{40}$/,
          doc: "rate-limits-for-the-rest-api#exceeding-the-rate-limit",
          body: { required: ["state"], optional: ["target_url", "description", "context"] },
          answer: () => ({
            status: 403,
            json: { message: "API rate limit exceeded" },
            headers: { "x-ratelimit-remaining": "0", "x-ratelimit-reset": String(reset) },
          }),
        },
      ],
      headers: githubHeaders,
    });
    const forge = createGithubForge({
      baseUrl: server.url,
      repo: "site/config",
      token: tokenFromFile(join(dir, "token")),
      now: () => new Date(Date.UTC(2026, 0, 1, 0, 0)),
    });
    const error = await forge
      .setCommitStatus({ sha: SHA, context: "c", state: "pending", description: "d" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ForgeError);
    expect(error).toMatchObject({ code: "rate-limited", retry: "transient", retryAfterMs: 60_000 });
  });

  it("says which call a refused token failed, as stalling, without the token", async () => {
    server = await startShapeServer({
      routes: [
        {
          // https://docs.github.com/en/rest/using-the-rest-api/troubleshooting-the-rest-api (401 Bad credentials)
          method: "GET",
          path: /^\/repos\/site\/config\/pulls\/\d+$/,
          doc: "troubleshooting-the-rest-api",
          answer: () => ({ status: 401, json: { message: "Bad credentials" } }),
        },
      ],
      headers: githubHeaders,
    });
    const error = await githubForge(server.url)
      .getPullRequest(7)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "http", retry: "stalling", status: 401 });
    expect((error as Error).message).toBe("GET /repos/site/config/pulls/7: HTTP 401: Bad credentials");
    expect(JSON.stringify(error)).not.toContain(TOKEN);
  });
});

// ---- GitLab ---------------------------------------------------------------------------------------

/** https://docs.gitlab.com/api/rest/authentication/#personalprojectgroup-access-tokens (PRIVATE-TOKEN header). */
function gitlabHeaders(headers: Record<string, string | string[] | undefined>): string[] {
  const out: string[] = [];
  if (headers["private-token"] !== TOKEN) out.push("no PRIVATE-TOKEN header with the token");
  if (headers.authorization !== undefined) out.push("an Authorization header besides PRIVATE-TOKEN");
  return out;
}

/** The project id: its full path URL-encoded (https://docs.gitlab.com/api/rest/#namespaced-paths). */
const PROJECT = String.raw`/api/v4/projects/group%2Fsub%2Fconfig`;

function gitlabRoutes(input: {
  notePages: { id: number; body: string }[][];
  diffPages: unknown[][];
}): ShapeRoute[] {
  const mr = `${PROJECT}/merge_requests/(\\d+)`;
  return [
    {
      // https://docs.gitlab.com/api/commits/#set-the-pipeline-status-of-a-commit
      method: "POST",
      path: new RegExp(`^${PROJECT}/statuses/([0-9a-f]{40})$`),
      doc: "api/commits/#set-the-pipeline-status-of-a-commit",
      body: {
        required: ["state"],
        optional: ["ref", "name", "context", "target_url", "description", "coverage", "pipeline_id"],
        enums: { state: ["pending", "running", "success", "failed", "canceled", "skipped"] },
      },
      answer: ({ body, match }) => ({
        status: 201,
        json: { id: 1, sha: match[1], status: body?.state, name: body?.name },
      }),
    },
    {
      // https://docs.gitlab.com/api/notes/#list-all-merge-request-notes (pagination: page, per_page at most 100)
      method: "GET",
      path: new RegExp(`^${mr}/notes$`),
      doc: "api/notes/#list-all-merge-request-notes",
      query: ["sort", "order_by", "page", "per_page"],
      answer: ({ query }) => ({
        status: 200,
        json: input.notePages[Number(query.get("page") ?? 1) - 1] ?? [],
      }),
    },
    {
      // https://docs.gitlab.com/api/notes/#create-new-merge-request-note
      method: "POST",
      path: new RegExp(`^${mr}/notes$`),
      doc: "api/notes/#create-new-merge-request-note",
      body: { required: ["body"], optional: ["created_at", "internal", "merge_request_diff_head_sha"] },
      answer: ({ body }) => ({ status: 201, json: { id: 5001, body: body?.body } }),
    },
    {
      // https://docs.gitlab.com/api/notes/#modify-existing-merge-request-note
      method: "PUT",
      path: new RegExp(`^${mr}/notes/(\\d+)$`),
      doc: "api/notes/#modify-existing-merge-request-note",
      body: { required: ["body"] },
      answer: ({ match, body }) => ({ status: 200, json: { id: Number(match[2]), body: body?.body } }),
    },
    {
      // https://docs.gitlab.com/api/merge_requests/#get-single-mr
      method: "GET",
      path: new RegExp(`^${mr}$`),
      doc: "api/merge_requests/#get-single-mr",
      answer: ({ match }) => ({
        status: 200,
        json: {
          iid: Number(match[1]),
          sha: SHA,
          target_branch: "main",
          source_branch: "add-sessions",
          state: "opened",
        },
      }),
    },
    {
      // https://docs.gitlab.com/api/merge_requests/#list-merge-request-diffs (page, per_page; GitLab >= 15.7)
      method: "GET",
      path: new RegExp(`^${mr}/diffs$`),
      doc: "api/merge_requests/#list-merge-request-diffs",
      query: ["page", "per_page", "unidiff"],
      answer: ({ query }) => ({
        status: 200,
        json: input.diffPages[Number(query.get("page") ?? 1) - 1] ?? [],
      }),
    },
  ];
}

function gitlabForge(url: string): Forge {
  return createGitlabForge({
    baseUrl: `${url}/api/v4`,
    repo: "group/sub/config",
    token: tokenFromFile(join(dir, "token")),
  });
}

describe("the GitLab forge, against GitLab's documented REST shapes", () => {
  it("sets a commit status with GitLab's names: `name` for the context, `failed` for failure", async () => {
    server = await startShapeServer({
      routes: gitlabRoutes({ notePages: [], diffPages: [] }),
      headers: gitlabHeaders,
    });
    await gitlabForge(server.url).setCommitStatus({
      sha: SHA,
      context: "cfs-gitops/sessions",
      state: "failure",
      description: "1 of 2 sessions failed: s2 (layer 0 failed)",
    });
    expect(server.violations).toEqual([]);
    expect(server.requests[0]).toMatchObject({
      method: "POST",
      path: `/api/v4/projects/group%2Fsub%2Fconfig/statuses/${SHA}`,
      body: {
        state: "failed",
        name: "cfs-gitops/sessions",
        description: "1 of 2 sessions failed: s2 (layer 0 failed)",
      },
    });
  });

  it("edits the merge request note carrying the marker (PUT), across pages", async () => {
    const notePages = [commentList(100, 1, null), commentList(1, 101, 101)];
    server = await startShapeServer({
      routes: gitlabRoutes({ notePages, diffPages: [] }),
      headers: gitlabHeaders,
    });
    const id = await gitlabForge(server.url).upsertComment({ pr: 4, marker: "pr-preview", body: "new" });
    expect(server.violations).toEqual([]);
    expect(id).toBe(101);
    expect(server.requests.map((r) => `${r.method} ${r.path}${r.query}`)).toEqual([
      "GET /api/v4/projects/group%2Fsub%2Fconfig/merge_requests/4/notes?per_page=100&page=1",
      "GET /api/v4/projects/group%2Fsub%2Fconfig/merge_requests/4/notes?per_page=100&page=2",
      "PUT /api/v4/projects/group%2Fsub%2Fconfig/merge_requests/4/notes/101",
    ]);
  });

  it("creates the note when none carries the marker", async () => {
    server = await startShapeServer({
      routes: gitlabRoutes({ notePages: [[]], diffPages: [] }),
      headers: gitlabHeaders,
    });
    expect(await gitlabForge(server.url).upsertComment({ pr: 4, marker: "pr-preview", body: "b" })).toBe(
      5001,
    );
    expect(server.violations).toEqual([]);
    expect(server.requests.at(-1)).toMatchObject({ method: "POST", body: { body: `${MARKER_LINE}\nb` } });
  });

  it("reads a merge request's head, target branch and the paths of its diffs", async () => {
    const diffs = [
      {
        old_path: "sessions/a.yaml",
        new_path: "sessions/a.yaml",
        new_file: true,
        renamed_file: false,
        deleted_file: false,
      },
      {
        old_path: "configurations/old.yaml",
        new_path: "configurations/new.yaml",
        new_file: false,
        renamed_file: true,
        deleted_file: false,
      },
    ];
    server = await startShapeServer({
      routes: gitlabRoutes({ notePages: [], diffPages: [diffs] }),
      headers: gitlabHeaders,
    });
    const pr = await gitlabForge(server.url).getPullRequest(4);
    expect(server.violations).toEqual([]);
    expect(pr).toEqual({
      number: 4,
      headSha: SHA,
      base: "main",
      headBranch: "add-sessions",
      headRef: "refs/merge-requests/4/head",
      changedFiles: ["configurations/new.yaml", "configurations/old.yaml", "sessions/a.yaml"],
    });
  });

  it("reads 429 with Retry-After as a transient rate limit", async () => {
    server = await startShapeServer({
      routes: [
        {
          // https://docs.gitlab.com/security/rate_limits/ (429 Too Many Requests, Retry-After)
          method: "GET",
          path: /^\/api\/v4\/projects\/[^/]+\/merge_requests\/\d+$/,
          doc: "security/rate_limits",
          answer: () => ({ status: 429, json: { message: "Retry later" }, headers: { "retry-after": "7" } }),
        },
      ],
      headers: gitlabHeaders,
    });
    const error = await gitlabForge(server.url)
      .getPullRequest(4)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: "rate-limited", retry: "transient", retryAfterMs: 7000 });
  });
});
