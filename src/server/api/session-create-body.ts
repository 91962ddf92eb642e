/**
 * The body of `POST /v3/sessions` (CFS's V3SessionCreate, as `cray cfs v3 sessions create` sends
 * it) as a Session manifest. Unknown fields are refused as CFS refuses them; empty `groups` and
 * `image_map` lists (the cray CLI always sends them) are left out, since the manifest schema wants
 * at least one entry when they are given. Everything else is checked afterwards by the controller's
 * own parser and schemas, so a bad value gets the message it would get in a pull request.
 */
import { API_VERSION, type SessionManifest } from "../../api/index.js";
import { badRequest } from "./api-error.js";

const CREATE_FIELDS = [
  "name",
  "configuration_name",
  "configuration_limit",
  "ansible_limit",
  "ansible_config",
  "ansible_verbosity",
  "ansible_passthrough",
  "target",
  "tags",
  "debug_on_failure",
];
const TARGET_FIELDS = ["definition", "groups", "image_map"];

type Json = Record<string, unknown>;

/** The manifest a create body asks for; 400 for a body CFS would refuse before looking further. */
export function sessionManifestFromBody(body: unknown): SessionManifest {
  const data = asObject(body, "The request body");
  refuseUnknown(data, CREATE_FIELDS);
  const name = requiredString(data, "name");
  const configuration = requiredString(data, "configuration_name");
  const manifest: SessionManifest = {
    apiVersion: API_VERSION,
    kind: "Session",
    name,
    configuration: {
      name: configuration,
      ...(data["configuration_limit"] !== undefined ? { limit: data["configuration_limit"] as string } : {}),
    },
  };
  const ansible = ansibleSection(data);
  if (ansible !== null) manifest.ansible = ansible;
  const target = targetSection(data["target"]);
  if (target !== null) manifest.target = target;
  if (data["tags"] !== undefined) manifest.tags = data["tags"] as Record<string, string>;
  if (data["debug_on_failure"] !== undefined) manifest.debug_on_failure = data["debug_on_failure"] as boolean;
  return manifest;
}

function asObject(value: unknown, what: string): Json {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw badRequest(`${what} must be a JSON object`);
  return value as Json;
}

function refuseUnknown(data: Json, known: readonly string[]): void {
  const unknown = Object.keys(data).filter((key) => !known.includes(key));
  if (unknown.length > 0)
    throw badRequest(
      `Additional properties are not allowed (${unknown.map((key) => `'${key}'`).join(", ")} ${unknown.length === 1 ? "was" : "were"} unexpected)`,
    );
}

function requiredString(data: Json, field: string): string {
  const value = data[field];
  if (value === undefined) throw badRequest(`'${field}' is a required property`);
  if (typeof value !== "string")
    throw badRequest(`${JSON.stringify(value)} is not of type 'string' - '${field}'`);
  return value;
}

function ansibleSection(data: Json): NonNullable<SessionManifest["ansible"]> | null {
  const pairs: Array<[string, string]> = [
    ["ansible_config", "config"],
    ["ansible_limit", "limit"],
    ["ansible_verbosity", "verbosity"],
    ["ansible_passthrough", "passthrough"],
  ];
  const ansible: Json = {};
  for (const [field, key] of pairs) if (data[field] !== undefined) ansible[key] = data[field];
  return Object.keys(ansible).length > 0 ? ansible : null;
}

function targetSection(value: unknown): NonNullable<SessionManifest["target"]> | null {
  if (value === undefined || value === null) return null;
  const data = asObject(value, "target");
  refuseUnknown(data, TARGET_FIELDS);
  const target: Json = {};
  if (data["definition"] !== undefined) target["definition"] = data["definition"];
  for (const list of ["groups", "image_map"]) {
    const items = data[list];
    if (items !== undefined && !(Array.isArray(items) && items.length === 0)) target[list] = items;
  }
  return Object.keys(target).length > 0 ? target : null;
}
