/**
 * The Forge on GitLab's REST API (docs.gitlab.com/api, `/api/v4`): `POST
 * /projects/:id/statuses/:sha` (commits API; the status's name is `name`, failure is `failed`),
 * merge request notes (`GET|POST /projects/:id/merge_requests/:iid/notes`, `PUT
 * .../notes/:note_id`), `GET /projects/:id/merge_requests/:iid` and its `/diffs`. The project id is
 * its URL-encoded full path; the token goes in `PRIVATE-TOKEN`.
 */
import type { CommitState, Forge } from "./forge.js";
import { findMarkedComment, markedBody } from "./forge.js";
import { allPages, field, forgeRequest, stringField, type ForgeHttpOptions } from "./forge-http.js";
import { httpBase, positiveInt, type ForgeOptions } from "./forge-options.js";
import { comments, pullRequest } from "./gitea-forge.js";

const PER_PAGE = 100;

/** GitLab's commit status states for ours. */
const GITLAB_STATE: Readonly<Record<CommitState, string>> = {
  pending: "pending",
  success: "success",
  failure: "failed",
  error: "failed",
};

/** The GitLab forge. */
export function createGitlabForge(options: ForgeOptions): Forge {
  const http: ForgeHttpOptions = {
    ...httpBase(options),
    tokenHeader: (token) => ({ "private-token": token }),
  };
  const project = `/projects/${encodeURIComponent(options.repo)}`;
  const notes = (iid: number): string => `${project}/merge_requests/${iid}/notes`;
  return {
    kind: "gitlab",
    async setCommitStatus(status) {
      const body = {
        state: GITLAB_STATE[status.state],
        name: status.context,
        description: status.description,
        ...(status.targetUrl === undefined ? {} : { target_url: status.targetUrl }),
      };
      await forgeRequest(http, { method: "POST", path: `${project}/statuses/${status.sha}`, body });
    },
    async upsertComment({ pr, marker, body }) {
      const text = markedBody(marker, body);
      const all = await allPages({
        http,
        path: (page) => `${notes(pr)}?per_page=${PER_PAGE}&page=${page}`,
        perPage: PER_PAGE,
        item: (value) => comments([value])[0] ?? null,
      });
      const found = findMarkedComment(all, marker);
      if (found) {
        await forgeRequest(http, { method: "PUT", path: `${notes(pr)}/${found.id}`, body: { body: text } });
        return found.id;
      }
      const created = await forgeRequest(http, { method: "POST", path: notes(pr), body: { body: text } });
      return positiveInt(field(created.json, "id")) ?? 0;
    },
    async getPullRequest(n) {
      const { json } = await forgeRequest(http, { method: "GET", path: `${project}/merge_requests/${n}` });
      const what = `merge request ${n}`;
      const files = await allPages({
        http,
        path: (page) => `${project}/merge_requests/${n}/diffs?per_page=${PER_PAGE}&page=${page}`,
        perPage: PER_PAGE,
        item: diffPaths,
      });
      return pullRequest({
        number: n,
        headSha: stringField(json, ["sha"], what),
        base: stringField(json, ["target_branch"], what),
        headBranch: stringField(json, ["source_branch"], what),
        headRef: `refs/merge-requests/${n}/head`,
        changedFiles: files.flat(),
      });
    },
  };
}

/** A diff's paths (`old_path`, `new_path`). */
function diffPaths(value: unknown): string[] | null {
  const paths = [field(value, "old_path"), field(value, "new_path")].filter(
    (path): path is string => typeof path === "string" && path !== "",
  );
  return paths.length > 0 ? paths : null;
}
