/**
 * A valid manifest in the one shape the rest of the controller reads. CFS accepts (and `describe`
 * prints) several spellings of "nothing" and a few read-only fields; they all mean the same as the
 * plain manifest, so they are folded here, once, right after the schema accepted the file:
 *
 * - apiVersion and kind, when the folder told the kind and the file left them out, are added, and
 *   a configuration's name (the body of `PUT /v3/configurations/{name}` has none) is the file stem;
 * - the flat fields of a `POST /v3/sessions` body (`configuration_name`, `ansible_limit`, ...) move
 *   to their place in the nested form that `describe` prints;
 * - the read-only fields of `describe` (`status`, `logs`, `last_updated`) are dropped;
 * - `ansible.limit: null`, `ansible.passthrough: null`, `target.groups: null | []` on dynamic and
 *   repo targets, and `target.image_map: null` are dropped; `image_map` on a target other than
 *   image is dropped too (CFS ignores it there);
 * - image ids written as 32 hex digits without hyphens (Python's `uuid.UUID` accepts them) get the
 *   usual lowercase hyphenated form, so `image_map` and the image service match them;
 * - a configuration without `layers` gets `layers: []`;
 * - a source without a name is named by its file stem, and its `last_updated` is dropped.
 */
import { API_VERSION, READ_ONLY_FIELDS, type Kind } from "../api/index.js";

type Data = Record<string, unknown>;

/** The create-request (V3SessionCreate) fields of a session and where the nested form keeps each. */
export const SESSION_CREATE_FIELDS: Readonly<Record<string, readonly [string, string]>> = {
  configuration_name: ["configuration", "name"],
  configuration_limit: ["configuration", "limit"],
  ansible_config: ["ansible", "config"],
  ansible_limit: ["ansible", "limit"],
  ansible_verbosity: ["ansible", "verbosity"],
  ansible_passthrough: ["ansible", "passthrough"],
};

/** What normalizeManifest reads. */
export interface NormalizeInput {
  kind: Kind;
  /** A manifest the schema of `kind` accepted. */
  value: Data;
  /** The file stem: the name of a configuration that does not give one. */
  stem: string;
}

/** The manifest as the controller reads it (see the file comment); `value` is not changed. */
export function normalizeManifest({ kind, value, stem }: NormalizeInput): Data {
  const head: Data = { apiVersion: value.apiVersion ?? API_VERSION, kind: value.kind ?? kind };
  if (kind === "Configuration" || kind === "Source") head.name = value.name ?? stem;
  const body = { ...head, ...value };
  if (kind === "Session") return normalizeSession(body);
  if (kind === "Configuration") return normalizeConfiguration(body);
  if (kind === "Source") return withoutFields(body, READ_ONLY_FIELDS.Source);
  return body;
}

/** `902b4a803ac240d5b65e86ac3e12f209` -> `902b4a80-3ac2-40d5-b65e-86ac3e12f209`; other text unchanged. */
export function canonicalImageId(id: string): string {
  const hex = /^[0-9a-fA-F]{32}$/.test(id) ? id.toLowerCase() : null;
  if (hex === null) return id;
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

function normalizeSession(session: Data): Data {
  const out = nestCreateFields(withoutFields(session, READ_ONLY_FIELDS.Session));
  if (isData(out.ansible)) out.ansible = withoutNulls(out.ansible, ["limit", "passthrough"]);
  if (isData(out.target)) out.target = normalizeTarget(out.target);
  return out;
}

/** `configuration_name: x` -> `configuration: { name: x }`, and so on (the rule check forbids both). */
function nestCreateFields(session: Data): Data {
  const out = { ...session };
  for (const [field, [section, key]] of Object.entries(SESSION_CREATE_FIELDS)) {
    if (!(field in out)) continue;
    const nested = isData(out[section]) ? { ...out[section] } : {};
    nested[key] = out[field];
    out[section] = nested;
    delete out[field];
  }
  return out;
}

function normalizeTarget(target: Data): Data {
  const out = withoutNulls(target, ["groups", "image_map"]);
  const definition = typeof out.definition === "string" ? out.definition : "dynamic";
  if (Array.isArray(out.groups) && out.groups.length === 0) delete out.groups;
  if (definition !== "image") {
    delete out.image_map;
    return out;
  }
  if (Array.isArray(out.groups)) out.groups = out.groups.map(canonicalGroup);
  if (Array.isArray(out.image_map)) out.image_map = out.image_map.map(canonicalMapEntry);
  return out;
}

function canonicalGroup(group: unknown): unknown {
  if (!isData(group) || !Array.isArray(group.members)) return group;
  const members = group.members as unknown[];
  return { ...group, members: members.map((m) => (typeof m === "string" ? canonicalImageId(m) : m)) };
}

function canonicalMapEntry(entry: unknown): unknown {
  if (!isData(entry) || typeof entry.source_id !== "string") return entry;
  return { ...entry, source_id: canonicalImageId(entry.source_id) };
}

function normalizeConfiguration(configuration: Data): Data {
  const out = withoutFields(configuration, READ_ONLY_FIELDS.Configuration);
  out.layers ??= [];
  return out;
}

function withoutFields(data: Data, fields: readonly string[]): Data {
  const out = { ...data };
  for (const field of fields) delete out[field];
  return out;
}

function withoutNulls(data: Data, fields: readonly string[]): Data {
  const out = { ...data };
  for (const field of fields) if (out[field] === null) delete out[field];
  return out;
}

function isData(value: unknown): value is Data {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
