/** Turn ajv errors into plain messages that say what to change, and where each one points. */
import type { ErrorObject } from "ajv/dist/2020.js";
import {
  COMMIT_PATTERN,
  KIND_DIRS,
  NO_SPACE_PATTERN,
  OPTIONS_PATH,
  SESSION_NAME_PATTERN,
  SESSION_TTL_PATTERN,
  type Kind,
} from "../api/index.js";
import { pointerSegments, type NodePart } from "./locate-node.js";
import { PASSTHROUGH_KEYWORD } from "./schema-validator.js";

/** One schema problem: the data path it is about, which part of that node to point at, and the message. */
export interface SchemaIssue {
  segments: string[];
  part: NodePart;
  message: string;
}

/** What the messages need beyond the ajv error itself. */
export interface IssueContext {
  /** The whole manifest as plain data. */
  root: unknown;
  /** The kind the schema was chosen for. */
  kind: Kind;
  /** The kind the file's path asks for, or null for a path outside the repository layout. */
  pathKind: Kind | null;
  /** The file stem, the name the manifest must carry. */
  stem: string;
}

type Describe = (error: ErrorObject, ctx: IssueContext, segments: string[]) => SchemaIssue;

const UUID_PATTERN =
  "^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{32})$";
const CONFIG_NAME_PATTERN = "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*)?$";

/** What each schema pattern means, in words. */
export const PATTERN_WORDS: Readonly<Record<string, string>> = {
  [SESSION_NAME_PATTERN]:
    'a DNS subdomain: lowercase letters, digits, "-" and ".", starting and ending with a letter or digit',
  [CONFIG_NAME_PATTERN]:
    'a Kubernetes name (lowercase letters, digits, "-" and ".", starting and ending with a letter or digit) or empty',
  [NO_SPACE_PATTERN]: 'free of whitespace and ";"',
  "^\\S*$": "free of whitespace",
  "^[^\\s/;]*$": 'free of whitespace, "/" and ";"',
  [COMMIT_PATTERN]: "a full 40-character commit id in lowercase hex",
  [UUID_PATTERN]: "an image id (a UUID such as 902b4a80-3ac2-40d5-b65e-86ac3e12f209)",
  [SESSION_TTL_PATTERN]: 'a duration such as 30m, 24h, 7d or 2w (or "" to disable)',
};

const ITEM_WORDS: Readonly<Record<string, string>> = { layers: "layer", groups: "group", members: "member" };

const TYPE_WORDS: Readonly<Record<string, string>> = {
  string: "a string",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "a mapping",
  array: "a list",
  null: "empty",
};

/** Describe every ajv error that is not a by-product of another (`if`, the branches of a failed `oneOf`). */
export function describeSchemaErrors(errors: readonly ErrorObject[], ctx: IssueContext): SchemaIssue[] {
  const failedOneOf = errors.filter((e) => e.keyword === "oneOf").map((e) => `${e.schemaPath}/`);
  return errors
    .filter((e) => e.keyword !== "if" && !failedOneOf.some((prefix) => e.schemaPath.startsWith(prefix)))
    .map((e) => describeSchemaError(e, ctx));
}

/** Describe one ajv error. */
export function describeSchemaError(error: ErrorObject, ctx: IssueContext): SchemaIssue {
  const segments = pointerSegments(error.instancePath);
  const describe = DESCRIBERS[error.keyword] ?? describeOther;
  return describe(error, ctx, segments);
}

const DESCRIBERS: Readonly<Record<string, Describe>> = {
  type: (e, ctx, segs) =>
    value(segs, `${name(ctx, segs)} must be ${typeWords(e.params)} (got ${shown(e.data)})${typeHint(e)}`),
  const: describeConst,
  enum: (e, ctx, segs) =>
    value(segs, `${name(ctx, segs)} must be one of ${listOf(e.params)} (got ${shown(e.data)})`),
  pattern: (e, ctx, segs) =>
    value(segs, `${name(ctx, segs)} must be ${patternWords(e.params)} (got ${shown(e.data)})`),
  minLength: (e, ctx, segs) => value(segs, lengthMessage(name(ctx, segs), e, "at least")),
  maxLength: (e, ctx, segs) => value(segs, lengthMessage(name(ctx, segs), e, "at most")),
  minimum: (e, ctx, segs) =>
    value(segs, `${name(ctx, segs)} must be at least ${limitOf(e)} (got ${shown(e.data)})`),
  maximum: (e, ctx, segs) =>
    value(segs, `${name(ctx, segs)} must be at most ${limitOf(e)} (got ${shown(e.data)})`),
  minItems: describeMinItems,
  maxItems: describeMaxItems,
  uniqueItems: describeUniqueItems,
  required: describeRequired,
  additionalProperties: describeUnknownField,
  "false schema": describeForbidden,
  oneOf: describeOneOf,
  not: describeRefused,
  [PASSTHROUGH_KEYWORD]: (e, ctx, segs) =>
    value(segs, `${name(ctx, segs)}: ${e.message ?? "is not allowed"}`),
};

function describeOther(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  return value(segments, `${name(ctx, segments)} ${error.message ?? "is not valid"}`);
}

function describeConst(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const wanted = JSON.stringify((error.params as { allowedValue?: unknown }).allowedValue);
  const where = segments.join("/") === "kind" && ctx.pathKind !== null ? ` ${placeOf(ctx.pathKind)}` : "";
  return value(segments, `${name(ctx, segments)} must be ${wanted}${where} (got ${shown(error.data)})`);
}

function describeMinItems(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const path = name(ctx, segments);
  const what = ITEM_WORDS[segments.at(-1) ?? ""] ?? "item";
  const limit = limitOf(error);
  const message =
    limit === 1 ? `${path} must list at least one ${what}` : `${path} must list at least ${limit} items`;
  return value(segments, message);
}

/** Only `target.groups` has a maximum (none, on dynamic and repo targets): CFS's rule and words. */
function describeMaxItems(_error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const definition = definitionOf(ctx.root);
  const bare = definition.split(" ")[0] ?? definition;
  return key(
    segments,
    `'${bare}' target definitions must not contain groups specifications (target.definition is ${definition}): remove target.groups, or use definition: spec to target these groups`,
  );
}

function describeUniqueItems(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const { i, j } = error.params as { i: number; j: number };
  const list = Array.isArray(error.data) ? (error.data as unknown[]) : [];
  const later = String(Math.max(i, j));
  return value([...segments, later], `${name(ctx, segments)} lists ${shown(list[i])} twice: remove one`);
}

function describeRequired(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const missing = (error.params as { missingProperty: string }).missingProperty;
  if (missing === "groups" && segments.join("/") === "target") {
    const definition = definitionOf(ctx.root);
    return value(
      segments,
      `target.groups is required when target.definition is ${definition}: list the groups to target`,
    );
  }
  if (segments.length === 0) {
    return value(segments, `missing required field "${missing}": add ${rootHint(missing, ctx)}`);
  }
  return value(segments, `${name(ctx, segments)} is missing required field "${missing}": add it`);
}

function describeUnknownField(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const field = (error.params as { additionalProperty: string }).additionalProperty;
  const properties = (error.parentSchema as { properties?: Record<string, unknown> } | undefined)?.properties;
  const allowed = Object.keys(properties ?? {}).sort();
  const where = segments.length > 0 ? ` in ${name(ctx, segments)}` : "";
  const hint = allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "";
  return key(
    [...segments, field],
    `unknown field ${shown(field)}${where}: remove it or check the spelling${hint}`,
  );
}

function describeForbidden(_error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const path = name(ctx, segments);
  const field = segments.at(-1);
  if (segments[0] === "target" && (field === "groups" || field === "image_map")) {
    const definition = definitionOf(ctx.root);
    const why =
      field === "groups"
        ? `is not allowed when target.definition is ${definition}`
        : `is only allowed when target.definition is image (here it is ${definition})`;
    return key(segments, `${path} ${why}: remove it`);
  }
  return key(segments, `${path} is not allowed here: remove it`);
}

/**
 * A field whose schema is `{description, not: {}}`: accepted by CFS, refused here on purpose (the
 * CFS options that do not apply); the description says why and what to do instead.
 */
function describeRefused(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const description = (error.parentSchema as { description?: unknown } | undefined)?.description;
  const why = typeof description === "string" ? description.replace(/^Refused( for now)?: /, "") : "";
  return key(segments, `${name(ctx, segments)} is not supported here: ${why || "remove it"}`);
}

function describeOneOf(error: ErrorObject, ctx: IssueContext, segments: string[]): SchemaIssue {
  const passing = (error.params as { passingSchemas?: unknown }).passingSchemas;
  const sets = Array.isArray(passing) ? "it sets both" : "it sets neither";
  const index = segments[0] === "layers" && segments.length === 2 ? Number(segments[1]) : null;
  const subject = index === null ? name(ctx, segments) : `layer ${index + 1}`;
  return value(segments, `${subject} must set exactly one of commit or branch (${sets})`);
}

/** A data path in the words a user reads: `ansible.verbosity`, `layers[1].commit`, `tags["a b"]`. */
export function renderPath(root: unknown, segments: readonly string[]): string {
  let text = "";
  let node: unknown = root;
  for (const segment of segments) {
    if (Array.isArray(node)) text += `[${segment}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${JSON.stringify(segment)}]`;
    node = childValue(node, segment);
  }
  return text === "" ? "the manifest" : text;
}

function childValue(node: unknown, segment: string): unknown {
  if (node === null || typeof node !== "object") return undefined;
  return Object.prototype.hasOwnProperty.call(node, segment)
    ? (node as Record<string, unknown>)[segment]
    : undefined;
}

function name(ctx: IssueContext, segments: readonly string[]): string {
  return renderPath(ctx.root, segments);
}

/** A value as the message shows it after "got". */
export function shown(data: unknown): string {
  if (data === null || data === undefined) return "nothing";
  if (Array.isArray(data)) return "a list";
  if (typeof data === "object") return "a mapping";
  if (typeof data === "string") {
    return JSON.stringify(data.length > 60 ? `${data.slice(0, 57)}...` : data);
  }
  return typeof data === "number" || typeof data === "boolean" ? String(data) : typeof data;
}

function typeWords(params: unknown): string {
  const type = (params as { type?: unknown }).type;
  const types = Array.isArray(type) ? (type as string[]) : [String(type)];
  return types.map((t) => TYPE_WORDS[t] ?? t).join(" or ");
}

function typeHint(error: ErrorObject): string {
  const type = (error.params as { type?: unknown }).type;
  const data: unknown = error.data;
  if (type === "string" && (typeof data === "number" || typeof data === "boolean"))
    return ": put it in quotes";
  if (type === "boolean" && typeof data === "string" && /^(true|false|yes|no|on|off)$/i.test(data)) {
    return ": write true or false, without quotes";
  }
  return "";
}

function patternWords(params: unknown): string {
  const pattern = String((params as { pattern?: unknown }).pattern);
  return PATTERN_WORDS[pattern] ?? `of the form ${pattern}`;
}

function listOf(params: unknown): string {
  const allowed = (params as { allowedValues?: unknown }).allowedValues;
  return Array.isArray(allowed) ? allowed.map(String).join(", ") : "the allowed values";
}

function limitOf(error: ErrorObject): number {
  return Number((error.params as { limit?: unknown }).limit);
}

function lengthMessage(path: string, error: ErrorObject, bound: "at least" | "at most"): string {
  const limit = limitOf(error);
  const length = typeof error.data === "string" ? error.data.length : 0;
  if (bound === "at least" && limit === 1) return `${path} must not be empty`;
  return `${path} must be ${bound} ${limit} characters long (got ${length})`;
}

function rootHint(missing: string, ctx: IssueContext): string {
  if (missing === "apiVersion") return "apiVersion: cfs-gitops/v1";
  if (missing === "kind") return `kind: ${ctx.kind}`;
  if (missing === "name" || missing === "id") return `${missing}: ${ctx.stem}`;
  if (missing === "configuration") return "configuration: with the name of a configuration";
  if (missing === "layers") return "layers: with at least one layer";
  return "it";
}

function placeOf(kind: Kind): string {
  return kind === "Options" ? `in ${OPTIONS_PATH}` : `for files under ${KIND_DIRS[kind]}/`;
}

function definitionOf(root: unknown): string {
  const definition = childValue(childValue(root, "target"), "definition");
  return typeof definition === "string" ? definition : "dynamic (the default)";
}

function value(segments: string[], message: string): SchemaIssue {
  return { segments, part: "value", message };
}

function key(segments: string[], message: string): SchemaIssue {
  return { segments, part: "key", message };
}
