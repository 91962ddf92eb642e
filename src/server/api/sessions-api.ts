/**
 * `/v3/sessions` of CFS over Git: list (every filter, paging), describe, create (commits
 * `sessions/<name>.yaml`, answers 201 with the pending record), delete one, delete many. Reads and
 * checks are the CLI's own (session-filters, session-view, sessions-write), so the API and
 * `cfs-gitops sessions ...` give the same answers.
 */
import type { SessionRecord } from "../../api/index.js";
import { CliError } from "../../cli/errors.js";
import { sessionManifestPaths } from "../../cli/repo-tree.js";
import {
  matchesSessionFilter,
  pageByName,
  parseLimit,
  parseSessionFilter,
  type SessionFilter,
} from "../../cli/session-filters.js";
import { commitChange, readBase, type WriteContext } from "../../cli/write-change.js";
import { badRequest, notFound } from "./api-error.js";
import type { ApiRepo } from "./api-repo.js";
import { DEFAULT_PAGE_SIZE, type ApiReply, type ApiRequest, type ApiRoute } from "./api-router.js";
import { sessionManifestFromBody } from "./session-create-body.js";
import { createSessions, sessionToCreate } from "./session-creates.js";

export { API_TRAILER, writeOrExplain } from "./write-answers.js";
import { API_TRAILER, writeOrExplain } from "./write-answers.js";

/** Inputs of the session routes. */
export interface SessionRoutesInput {
  repo: ApiRepo;
  now: () => Date;
  /** `limit` when the query gives none (default DEFAULT_PAGE_SIZE, as CFS's default_page_size). */
  pageSize?: number;
}

/** The routes of `/v3/sessions`. */
export function sessionRoutes(input: SessionRoutesInput): ApiRoute[] {
  return [
    { method: "GET", template: "/v3/sessions", handler: (req) => listSessions(req, input) },
    { method: "POST", template: "/v3/sessions", handler: (req) => createSession(req, input) },
    { method: "DELETE", template: "/v3/sessions", handler: (req) => deleteSessions(req, input) },
    { method: "GET", template: "/v3/sessions/{session_name}", handler: (req) => getSession(req, input) },
    {
      method: "DELETE",
      template: "/v3/sessions/{session_name}",
      handler: (req) => deleteSession(req, input),
    },
  ];
}

/** The filter of a list or delete query (CLI flag semantics: `status=` means any status). */
export function filterOfQuery(query: URLSearchParams, defaultStatus: "complete" | null): SessionFilter {
  const get = (key: string): Record<string, string> => {
    const value = query.get(key);
    return value === null ? {} : { [key]: value };
  };
  const flags = {
    ...renameKey(get("status"), "status"),
    ...renameKey(get("succeeded"), "succeeded"),
    ...renameKey(get("min_age"), "minAge"),
    ...renameKey(get("max_age"), "maxAge"),
    ...renameKey(get("tags"), "tags"),
    ...renameKey(get("name_contains"), "nameContains"),
  };
  return asBadRequest(() => parseSessionFilter(flags, defaultStatus));
}

function renameKey(entry: Record<string, string>, to: string): Record<string, string> {
  const [value] = Object.values(entry);
  return value === undefined ? {} : { [to]: value };
}

/** Runs a CLI parser; its CliError (a bad value) becomes a 400 whose detail names the parameter. */
export function asBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CliError)
      throw badRequest(error.message.replace(/--([a-z-]+)/g, (_m, flag: string) => flag.replace(/-/g, "_")));
    throw error;
  }
}

async function listSessions(req: ApiRequest, input: SessionRoutesInput): Promise<ApiReply> {
  const filter = filterOfQuery(req.query, null);
  const limit =
    asBadRequest(() => parseLimit(req.query.get("limit") || undefined)) ??
    input.pageSize ??
    DEFAULT_PAGE_SIZE;
  const after = req.query.get("after_id") ?? req.query.get("after") ?? null;
  const now = input.now();
  const { sessions } = await input.repo.sessions();
  const page = pageByName(
    sessions.filter((record) => matchesSessionFilter(record, filter, now)),
    { limit, after: after === "" ? null : after },
  );
  return {
    status: 200,
    body: { sessions: page.items, next: page.next === null ? null : { limit, after_id: page.next } },
  };
}

async function getSession(req: ApiRequest, input: SessionRoutesInput): Promise<ApiReply> {
  const name = req.params["session_name"] ?? "";
  const { byName } = await input.repo.sessions();
  const record = byName.get(name);
  if (!record) throw notFound(`Session ${name} could not be found`);
  return { status: 200, body: record };
}

/**
 * POST: the caller's creates that wait together are committed as one (see createSessions); the
 * answer is this session's own (201 with its pending record, or its 409 / 400).
 */
async function createSession(req: ApiRequest, input: SessionRoutesInput): Promise<ApiReply> {
  const item = sessionToCreate(sessionManifestFromBody(await req.body()));
  return input.repo.batched({
    caller: req.caller,
    kind: "create-session",
    item,
    work: (context, items) => createSessions({ context, items }),
    reply: (record: SessionRecord) => ({ status: 201, body: record }),
  });
}

async function deleteSession(req: ApiRequest, input: SessionRoutesInput): Promise<ApiReply> {
  const name = req.params["session_name"] ?? "";
  return input.repo.written(
    req.caller,
    (context) =>
      writeOrExplain(async () => {
        const paths = sessionManifestPaths(await readBase(context), name);
        if (paths.length === 0) throw notFound(`Session ${name} could not be found`);
        await commitChange(context, {
          changes: new Map(paths.map((path) => [path, null])),
          subject: `Delete session ${name}`,
          body: `Deleted by ${req.caller.name} with: DELETE /v3/sessions/${name}\n\n${API_TRAILER}`,
        });
      }),
    () => ({ status: 204 }),
  );
}

async function deleteSessions(req: ApiRequest, input: SessionRoutesInput): Promise<ApiReply> {
  const filter = filterOfQuery(req.query, "complete");
  return input.repo.written(
    req.caller,
    (context) =>
      writeOrExplain(() =>
        deleteMatching({ context, filter, now: input.now(), caller: req.caller.name, repo: input.repo }),
      ),
    (names) => ({ status: 200, body: { session_ids: names } }),
  );
}

async function deleteMatching(input: {
  context: WriteContext;
  filter: SessionFilter;
  now: Date;
  caller: string;
  repo: ApiRepo;
}): Promise<string[]> {
  const { context } = input;
  const tree = await readBase(context);
  const { sessions } = await input.repo.sessions();
  const chosen = sessions.filter(
    (record: SessionRecord) =>
      matchesSessionFilter(record, input.filter, input.now) &&
      sessionManifestPaths(tree, record.name).length > 0,
  );
  if (chosen.length === 0) return [];
  await commitChange(context, {
    changes: new Map(
      chosen.flatMap((record) => sessionManifestPaths(tree, record.name)).map((path) => [path, null]),
    ),
    subject: `Delete ${chosen.length} session${chosen.length === 1 ? "" : "s"}`,
    body: `${chosen.map((record) => `- ${record.name}`).join("\n")}\n\nDeleted by ${input.caller} with: DELETE /v3/sessions\n\n${API_TRAILER}`,
  });
  return chosen.map((record) => record.name);
}
