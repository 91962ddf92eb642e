/**
 * The Forge on Gitea's REST API (`/api/v1`, documented in Gitea's swagger at /api/swagger):
 * `POST /repos/{owner}/{repo}/statuses/{sha}`, issue comments (`GET|POST
 * /repos/{owner}/{repo}/issues/{index}/comments`, `PATCH /repos/{owner}/{repo}/issues/comments/{id}`),
 * `GET /repos/{owner}/{repo}/pulls/{index}` and its `/files`. Token as `Authorization: token <t>`.
 */
import type { Forge, ForgeComment, PullRequestInfo } from "./forge.js";
import { findMarkedComment, markedBody } from "./forge.js";
import { allPages, field, forgeRequest, stringField, type ForgeHttpOptions } from "./forge-http.js";
import { httpBase, positiveInt, repoPath, type ForgeOptions } from "./forge-options.js";

const PER_PAGE = 50;

/** The Gitea forge. */
export function createGiteaForge(options: ForgeOptions): Forge {
  const http: ForgeHttpOptions = {
    ...httpBase(options),
    tokenHeader: (token) => ({ authorization: `token ${token}` }),
  };
  const repo = `/repos/${repoPath(options.repo)}`;
  return {
    kind: "gitea",
    async setCommitStatus(status) {
      const body = {
        state: status.state,
        context: status.context,
        description: status.description,
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      };
      await forgeRequest(http, { method: "POST", path: `${repo}/statuses/${status.sha}`, body });
    },
    async upsertComment({ pr, marker, body }) {
      const text = markedBody(marker, body);
      const { json } = await forgeRequest(http, { method: "GET", path: `${repo}/issues/${pr}/comments` });
      const found = findMarkedComment(comments(json), marker);
      return saveComment({ http, repo, pr, found, text });
    },
    getPullRequest(n) {
      return readPullRequest({
        http,
        repo,
        n,
        filesPage: (page) => `${repo}/pulls/${n}/files?page=${page}&limit=${PER_PAGE}`,
        perPage: PER_PAGE,
      });
    },
  };
}

/** Comments of a list answer (`[{id, body}]`). */
export function comments(json: unknown): ForgeComment[] {
  if (!Array.isArray(json)) return [];
  return json.flatMap((value: unknown) => {
    const id = positiveInt(field(value, "id"));
    const body = field(value, "body");
    return id !== null && typeof body === "string" ? [{ id, body }] : [];
  });
}

/** A changed file's paths (`filename`, and `previous_filename` of a rename): GitHub's and Gitea's shape. */
export function changedPaths(value: unknown): string[] | null {
  const paths = [field(value, "filename"), field(value, "previous_filename")].filter(
    (path): path is string => typeof path === "string" && path !== "",
  );
  return paths.length > 0 ? paths : null;
}

/**
 * Gitea's and GitHub's same pull request endpoints: `GET {repo}/pulls/{n}` and every page of its
 * files (`filesPage`: the path of a page, in the forge's paging parameters), the changed files
 * sorted and unique (see pullRequest).
 */
export async function readPullRequest(input: {
  http: ForgeHttpOptions;
  repo: string;
  n: number;
  filesPage: (page: number) => string;
  perPage: number;
}): Promise<PullRequestInfo> {
  const { http, repo, n } = input;
  const { json } = await forgeRequest(http, { method: "GET", path: `${repo}/pulls/${n}` });
  const what = `pull request ${n}`;
  const files = await allPages({ http, path: input.filesPage, perPage: input.perPage, item: changedPaths });
  return pullRequest({
    number: n,
    headSha: stringField(json, ["head", "sha"], what),
    base: stringField(json, ["base", "ref"], what),
    headBranch: stringField(json, ["head", "ref"], what),
    headRef: `refs/pull/${n}/head`,
    changedFiles: files.flat(),
  });
}

/** The info with its changed files sorted and unique. */
export function pullRequest(info: PullRequestInfo): PullRequestInfo {
  return { ...info, changedFiles: [...new Set(info.changedFiles)].sort() };
}

/**
 * Gitea's and GitHub's same comment endpoints: edit the comment found by its marker in place, or
 * create one on the pull request; the comment's id.
 */
export async function saveComment(input: {
  http: ForgeHttpOptions;
  repo: string;
  pr: number;
  found: ForgeComment | null | undefined;
  text: string;
}): Promise<number> {
  const { http, repo, found } = input;
  if (found) {
    await forgeRequest(http, {
      method: "PATCH",
      path: `${repo}/issues/comments/${found.id}`,
      body: { body: input.text },
    });
    return found.id;
  }
  const created = await forgeRequest(http, {
    method: "POST",
    path: `${repo}/issues/${input.pr}/comments`,
    body: { body: input.text },
  });
  return positiveInt(field(created.json, "id")) ?? 0;
}
