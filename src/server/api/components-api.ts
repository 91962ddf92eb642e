/**
 * `/v3/components` of CFS over Git: list (CFS's filters, paging), describe, PUT one (creates or
 * replaces a component's manifest), PATCH one (edits
 * `components/<id>.yaml` in one commit, like `cfs-gitops components update`), PATCH many with
 * `{patch, filters}` as BOS sends it or with a list of records each naming its id (one commit for
 * all), PUT many (a list of records, created or replaced in one commit), DELETE one. Reads,
 * filters, checks and commits are the CLI's own, so the API and the CLI give the same answers.
 */
import type { ComponentRecord } from "../../api/index.js";
import {
  ComponentNotFoundError,
  componentFilter,
  deleteComponents,
  loadComponentViews,
  replaceComponent,
  replaceEachComponent,
  updateComponents,
  updateEachComponent,
  type ComponentEdit,
  type FilterFlags,
} from "../../cli/commands/components.js";
import { retryLimit } from "../../plan/index.js";
import { pageByName, parseLimit } from "../../cli/session-filters.js";
import { StatusReader } from "../../cli/status-reader.js";
import { readBase } from "../../cli/write-change.js";
import { badRequest, notFound } from "./api-error.js";
import type { ApiRepo } from "./api-repo.js";
import { DEFAULT_PAGE_SIZE, type ApiReply, type ApiRequest, type ApiRoute } from "./api-router.js";
import { componentEditOfBody, componentEditsOfList, filtersOfBody } from "./component-patch-body.js";
import { API_TRAILER, asBadRequest, writeOrExplain } from "./sessions-api.js";

/** Inputs of the component routes. */
export interface ComponentRoutesInput {
  repo: ApiRepo;
  /** `limit` when the query gives none (default DEFAULT_PAGE_SIZE, as CFS's default_page_size). */
  pageSize?: number;
}

/** The query parameters of a component list that filter it. */
const FILTER_PARAMS = ["ids", "status", "enabled", "config_name", "tags"] as const;

/** The routes of `/v3/components`. */
export function componentRoutes(input: ComponentRoutesInput): ApiRoute[] {
  const one = "/v3/components/{component_id}";
  return [
    { method: "GET", template: "/v3/components", handler: (req) => listComponents(req, input) },
    { method: "PATCH", template: "/v3/components", handler: (req) => patchComponents(req, input) },
    { method: "PUT", template: "/v3/components", handler: (req) => putComponents(req, input) },
    { method: "GET", template: one, handler: (req) => getComponent(req, input) },
    { method: "PATCH", template: one, handler: (req) => patchComponent(req, input) },
    { method: "PUT", template: one, handler: (req) => putComponent(req, input) },
    { method: "DELETE", template: one, handler: (req) => removeComponent(req, input) },
  ];
}

/** The components as `cfs-gitops components list` shows them, read now. */
async function views(repo: ApiRepo): Promise<ComponentRecord[]> {
  const [reader, tree] = await Promise.all([repo.statusReader(), repo.tree()]);
  return loadComponentViews(reader, tree);
}

/** The CLI's filter flags from CFS's parameters (an empty value filters nothing, as CFS). */
function filterFlags(get: (key: string) => string | null): FilterFlags {
  const value = (key: string): string | undefined => get(key) || undefined;
  const flags: FilterFlags = {};
  const ids = value("ids");
  const status = value("status");
  const enabled = value("enabled");
  const configName = value("config_name");
  const tags = value("tags");
  if (ids !== undefined) flags.ids = ids;
  if (status !== undefined) flags.status = status;
  if (enabled !== undefined) flags.enabled = enabled;
  if (configName !== undefined) flags.configName = configName;
  if (tags !== undefined) flags.tags = tags;
  return flags;
}

async function listComponents(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const matches = asBadRequest(() => componentFilter(filterFlags((key) => req.query.get(key))));
  const limit =
    asBadRequest(() => parseLimit(req.query.get("limit") || undefined)) ??
    input.pageSize ??
    DEFAULT_PAGE_SIZE;
  const after = req.query.get("after_id") || null;
  const chosen = (await views(input.repo)).filter(matches).map((c) => ({ name: c.id, component: c }));
  const page = pageByName(chosen, { limit, after });
  const params = Object.fromEntries(
    FILTER_PARAMS.flatMap((key) => {
      const value = req.query.get(key);
      return value ? [[key, value]] : [];
    }),
  );
  return {
    status: 200,
    body: {
      components: page.items.map((item) => item.component),
      next: page.next === null ? null : { ...params, limit, after_id: page.next },
    },
  };
}

async function getComponent(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const id = req.params["component_id"] ?? "";
  const component = (await views(input.repo)).find((c) => c.id === id);
  if (!component) throw notFound(`Component ${id} could not be found`);
  return { status: 200, body: component };
}

async function patchComponent(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const id = req.params["component_id"] ?? "";
  const edit = componentEditOfBody(await req.body(), id);
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        updateComponents(context, {
          ids: [id],
          edit,
          via: `PATCH /v3/components/${id} by ${req.caller.name}\n\n${API_TRAILER}`,
        }),
      ),
    async () => {
      const reply = await getComponent(req, input);
      return { status: 200, body: edited(reply.body as ComponentRecord, edit) };
    },
  );
}

/**
 * The component as it answers once the controller has read the commit: the edited fields taken
 * (tags merged, an empty value removing one), and after a reconfigure no state and no errors.
 */
function edited(component: ComponentRecord, edit: ComponentEdit): ComponentRecord {
  const tags = { ...component.tags };
  for (const [key, value] of edit.tags ?? []) {
    if (value === "") delete tags[key];
    else tags[key] = value;
  }
  return {
    ...component,
    desired_config: edit.desiredConfig ?? component.desired_config,
    enabled: edit.enabled ?? component.enabled,
    retry_policy: edit.retryPolicy ?? component.retry_policy,
    tags,
    ...(edit.reconfigure ? { state: [], error_count: 0 } : {}),
  };
}

/** What a component id may be to name a file `components/<id>.yaml`. */
const COMPONENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

async function putComponent(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const id = req.params["component_id"] ?? "";
  if (!COMPONENT_ID.test(id)) throw badRequest(`Component id ${id} must be letters, digits, '.', '_' or '-'`);
  const edit = componentEditOfBody(await req.body(), id, { allowEmpty: true });
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        replaceComponent(context, {
          id,
          edit,
          via: `PUT /v3/components/${id} by ${req.caller.name}\n\n${API_TRAILER}`,
        }),
      ),
    async () => {
      const reply = await getComponent(req, input);
      const component = reply.body as ComponentRecord;
      const desired = (await input.repo.tree())?.desired;
      const manifest = desired?.components.find((c) => c.id === id);
      return {
        status: 200,
        body: {
          ...edited(component, edit),
          desired_config: manifest?.desired_config ?? "",
          enabled: manifest?.enabled ?? true,
          retry_policy: retryLimit(manifest?.retry_policy, desired?.options?.default_batcher_retry_policy),
          tags: manifest?.tags ?? {},
        },
      };
    },
  );
}

/** PATCH /v3/components: `{patch, filters}` (as BOS sends it) or a list of component records. */
/** PUT /v3/components: creates or replaces each listed component, all in one commit. */
async function putComponents(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const body = await req.body();
  if (!Array.isArray(body)) throw badRequest("The request body must be a list of V3ComponentData");
  const edits = componentEditsOfList(body);
  const bad = edits.find((each) => !COMPONENT_ID.test(each.id));
  if (bad) throw badRequest(`Component id ${bad.id} must be letters, digits, '.', '_' or '-'`);
  if (edits.length === 0) return { status: 200, body: { component_ids: [] } };
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        replaceEachComponent(context, {
          edits,
          via: `PUT /v3/components by ${req.caller.name}\n\n${API_TRAILER}`,
        }),
      ),
    () => ({ status: 200, body: { component_ids: edits.map((each) => each.id) } }),
  );
}

async function patchComponents(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const body = await req.body();
  return Array.isArray(body) ? patchComponentList(req, input, body) : patchFiltered(req, input, body);
}

/** Each record's own edit, all in one commit; an unknown id is a 404 and nothing is written. */
async function patchComponentList(
  req: ApiRequest,
  input: ComponentRoutesInput,
  body: readonly unknown[],
): Promise<ApiReply> {
  const edits = componentEditsOfList(body);
  if (edits.length === 0) return { status: 200, body: { component_ids: [] } };
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        updateEachComponent(context, {
          edits,
          via: `PATCH /v3/components by ${req.caller.name}\n\n${API_TRAILER}`,
        }),
      ),
    () => ({ status: 200, body: { component_ids: edits.map((each) => each.id) } }),
  );
}

async function patchFiltered(req: ApiRequest, input: ComponentRoutesInput, body: unknown): Promise<ApiReply> {
  const { patch, filters } = filtersOfBody(body);
  const edit = componentEditOfBody(patch, null);
  const matches = asBadRequest(() => componentFilter(filterFlags((key) => filters[key] ?? null)));
  return input.repo.written(
    req.caller,
    (context) =>
      explain(async () => {
        const [reader, tree] = await Promise.all([StatusReader.open(context.status), readBase(context)]);
        const ids = (await loadComponentViews(reader, tree)).filter(matches).map((c) => c.id);
        if (ids.length > 0)
          await updateComponents(context, {
            ids,
            edit,
            via: `PATCH /v3/components by ${req.caller.name}\n\n${API_TRAILER}`,
          });
        return ids;
      }),
    (ids) => ({ status: 200, body: { component_ids: ids } }),
  );
}

async function removeComponent(req: ApiRequest, input: ComponentRoutesInput): Promise<ApiReply> {
  const id = req.params["component_id"] ?? "";
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        deleteComponents(context, {
          ids: [id],
          via: `DELETE /v3/components/${id} by ${req.caller.name}\n\n${API_TRAILER}`,
        }),
      ),
    () => ({ status: 204 }),
  );
}

/** The CLI's refusals as HTTP answers: an unknown component 404, the rest as sessions answer them. */
function explain<T>(work: () => Promise<T>): Promise<T> {
  return writeOrExplain(async () => {
    try {
      return await work();
    } catch (error) {
      if (error instanceof ComponentNotFoundError) throw notFound(error.message);
      throw error;
    }
  });
}
