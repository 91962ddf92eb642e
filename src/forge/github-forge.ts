/**
 * The Forge on GitHub's REST API (docs.github.com/en/rest, API version 2022-11-28):
 * `POST /repos/{owner}/{repo}/statuses/{sha}` (commits/statuses), issue comments (`GET|POST
 * /repos/{owner}/{repo}/issues/{issue_number}/comments`, `PATCH
 * /repos/{owner}/{repo}/issues/comments/{comment_id}`: a pull request is an issue), `GET
 * /repos/{owner}/{repo}/pulls/{pull_number}` and its `/files`. Token as `Authorization: Bearer <t>`.
 */
import type { Forge } from "./forge.js";
import { findMarkedComment, markedBody } from "./forge.js";
import { allPages, forgeRequest, type ForgeHttpOptions } from "./forge-http.js";
import { httpBase, repoPath, type ForgeOptions } from "./forge-options.js";
import { comments, readPullRequest, saveComment } from "./gitea-forge.js";

const PER_PAGE = 100;

/** The headers GitHub's REST documentation asks every request to send. */
export const GITHUB_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  accept: "application/vnd.github+json",
  "x-github-api-version": "2022-11-28",
  "user-agent": "cfs-gitops",
});

/** The GitHub forge (github.com: baseUrl https://api.github.com; Enterprise Server: https://HOST/api/v3). */
export function createGithubForge(options: ForgeOptions): Forge {
  const http: ForgeHttpOptions = {
    ...httpBase(options),
    headers: { ...GITHUB_HEADERS },
    tokenHeader: (token) => ({ authorization: `Bearer ${token}` }),
  };
  const repo = `/repos/${repoPath(options.repo)}`;
  return {
    kind: "github",
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
      const all = await allPages({
        http,
        path: (page) => `${repo}/issues/${pr}/comments?per_page=${PER_PAGE}&page=${page}`,
        perPage: PER_PAGE,
        item: (value) => comments([value])[0] ?? null,
      });
      const found = findMarkedComment(all, marker);
      return saveComment({ http, repo, pr, found, text });
    },
    getPullRequest(n) {
      return readPullRequest({
        http,
        repo,
        n,
        filesPage: (page) => `${repo}/pulls/${n}/files?per_page=${PER_PAGE}&page=${page}`,
        perPage: PER_PAGE,
      });
    },
  };
}
