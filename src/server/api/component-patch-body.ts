/**
 * The bodies of `PATCH /v3/components[/{id}]` as CFS takes them (V3ComponentData, V3ComponentsUpdate,
 * V3ComponentDataArray), read into the edit `cfs-gitops components update` makes. Only what a manifest holds can change:
 * desired_config, enabled, retry_policy, tags, and `state: []` (CFS's "configure again", the
 * manifest's reconfigure counter); the fields the controller records are refused with a 400.
 */
import type { ComponentEdit, ComponentEditOf } from "../../cli/commands/components.js";
import { badRequest } from "./api-error.js";

/** Fields of V3ComponentData that a PATCH may carry. */
const WRITABLE = ["id", "desired_config", "enabled", "retry_policy", "tags", "state"];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The edit a V3ComponentData patch asks for; `id` (the path's, or null in a bulk patch) must match. */
export function componentEditOfBody(
  body: unknown,
  id: string | null,
  options: { allowEmpty?: boolean } = {},
): ComponentEdit {
  if (!isObject(body)) throw badRequest("The request body must be a V3ComponentData object");
  const unknown = Object.keys(body).filter((key) => !WRITABLE.includes(key));
  if (unknown.length > 0)
    throw badRequest(`Not writable over Git (the controller records them): ${unknown.join(", ")}`);
  if (body["id"] !== undefined && body["id"] !== id)
    throw badRequest(
      id === null ? "A patch with filters may not include a component id" : "id does not match the path",
    );
  const edit: ComponentEdit = {
    ...stringField(body, "desired_config", (v) => ({ desiredConfig: v })),
    ...booleanField(body, "enabled"),
    ...retryField(body),
    ...tagsField(body),
    ...stateField(body),
  };
  if (Object.keys(edit).length === 0 && !options.allowEmpty)
    throw badRequest("Nothing to update: give desired_config, enabled, retry_policy, tags or state: []");
  return edit;
}

function stringField(
  body: Record<string, unknown>,
  key: string,
  wrap: (value: string) => ComponentEdit,
): ComponentEdit {
  const value = body[key];
  if (value === undefined) return {};
  if (typeof value !== "string") throw badRequest(`${key} must be a string`);
  return wrap(value);
}

function booleanField(body: Record<string, unknown>, key: "enabled"): ComponentEdit {
  const value = body[key];
  if (value === undefined) return {};
  if (typeof value !== "boolean") throw badRequest(`${key} must be true or false`);
  return { enabled: value };
}

function retryField(body: Record<string, unknown>): ComponentEdit {
  const value = body["retry_policy"];
  if (value === undefined) return {};
  if (typeof value !== "number" || !Number.isInteger(value) || value < -1)
    throw badRequest("retry_policy must be an integer, -1 or more");
  return { retryPolicy: value };
}

function tagsField(body: Record<string, unknown>): ComponentEdit {
  const value = body["tags"];
  if (value === undefined) return {};
  if (!isObject(value) || !Object.values(value).every((v) => typeof v === "string"))
    throw badRequest("tags must be an object of strings");
  return { tags: Object.entries(value as Record<string, string>) };
}

function stateField(body: Record<string, unknown>): ComponentEdit {
  const value = body["state"];
  if (value === undefined) return {};
  if (!Array.isArray(value) || value.length > 0)
    throw badRequest("state can only be cleared (state: []): the controller records it");
  return { reconfigure: true };
}

/**
 * The edits of a PATCH with a list of component records (V3ComponentDataArray): each record names
 * its component with `id` and carries that component's own edit (one with only its id changes
 * nothing); the same refusals as a PATCH of one.
 */
export function componentEditsOfList(body: readonly unknown[]): ComponentEditOf[] {
  return body.map((record, index) => {
    const id = isObject(record) ? record["id"] : undefined;
    if (typeof id !== "string" || id === "")
      throw badRequest(`Each component of the list needs its id (item ${index} has none)`);
    return { id, edit: componentEditOfBody(record, id, { allowEmpty: true }) };
  });
}

/** `{patch, filters}` of a bulk PATCH (V3ComponentsUpdate); filter values as query strings. */
export function filtersOfBody(body: unknown): { patch: unknown; filters: Record<string, string> } {
  if (!isObject(body) || !isObject(body["patch"]) || !isObject(body["filters"]))
    throw badRequest("The request body must be a V3ComponentsUpdate object: {patch, filters}");
  const filters: Record<string, string> = {};
  for (const [key, value] of Object.entries(body["filters"])) {
    if (!["ids", "status", "enabled", "config_name", "tags"].includes(key))
      throw badRequest(`Unknown filter ${key}: ids, status, enabled, config_name or tags`);
    if (typeof value !== "string" && typeof value !== "boolean")
      throw badRequest(`filters.${key} must be a string`);
    filters[key] = String(value);
  }
  return { patch: body["patch"], filters };
}
