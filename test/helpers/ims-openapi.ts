/**
 * The real IMS API spec (`ims-openapi.yaml`, found by `reference-spec.ts`: `$IMS_OPENAPI` or
 * `../shared/reference/`; read in place, never copied) as ajv validators: one for each operation's request body, path parameters and documented
 * responses. OpenAPI 3.0 schemas become JSON Schema: `nullable` adds `null`, `x-*` and `example`
 * go, and in requests a `readOnly` property may not be sent at all (IMS sets it).
 */
import { existsSync, readFileSync } from "node:fs";
import AjvModule, { type ValidateFunction } from "ajv";
import { parse } from "yaml";
import { requireReferenceSpec } from "./reference-spec.js";

type Json = Record<string, unknown>;

/** One operation of the spec, with its validators. */
export interface ImsOperation {
  method: string;
  /** Path template, `/v3/jobs/{job_id}`. */
  template: string;
  pattern: RegExp;
  /** Names of the path parameters, in order. */
  params: string[];
  validateParam: Map<string, ValidateFunction>;
  /** Validator of the JSON request body; null when the operation takes none. */
  validateBody: ValidateFunction | null;
  /** Per documented status: the body validator, or null for a response without content. */
  responses: Map<number, ValidateFunction | null>;
}

/** The spec as validators. */
export interface ImsContract {
  /** The operation for a method and path, or null when the spec has none. */
  find(method: string, path: string): { op: ImsOperation; params: Record<string, string> } | null;
  /** Validator of one component schema as a response carries it (`JobRecord`, ...). */
  responseSchema(name: string): ValidateFunction;
}

const loaded = new Map<string, ImsContract>();

/**
 * Load the spec (once per path and process). Tests skip first when it is nowhere
 * (`skipEachWithoutReferenceSpec("ims")`); a missing file fails with a sentence naming it.
 */
export function loadImsContract(path = requireReferenceSpec("ims")): ImsContract {
  const known = loaded.get(path);
  if (known !== undefined) return known;
  const contract = compileContract(path);
  loaded.set(path, contract);
  return contract;
}

function compileContract(path: string): ImsContract {
  if (!existsSync(path)) {
    throw new Error(`the IMS contract tests need the real IMS API spec, and ${path} does not exist`);
  }
  const spec = parse(readFileSync(path, "utf8")) as Json;
  const components = (spec.components ?? {}) as Json;
  const Ajv = AjvModule.default;
  const ajv = new Ajv({ allErrors: true, strict: false });
  ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat(
    "date-time",
    (text: string) => !Number.isNaN(Date.parse(text)) && /^\d{4}-\d\d-\d\dT/.test(text),
  );
  ajv.addFormat("uri", (text: string) => /^[a-z][a-z0-9+.-]*:/i.test(text) || text.startsWith("/"));
  for (const mode of ["request", "response"] as const) {
    ajv.addSchema({
      $id: `ims-${mode}`,
      components: { schemas: convertAll(components.schemas as Json, mode) },
    });
  }
  const operations = collectOperations({ spec, components, ajv });
  return {
    find: (method, path) => findOperation(operations, method, path),
    responseSchema: (name) => ajv.compile({ $ref: `ims-response#/components/schemas/${name}` }),
  };
}

function findOperation(
  operations: ImsOperation[],
  method: string,
  path: string,
): { op: ImsOperation; params: Record<string, string> } | null {
  for (const op of operations) {
    if (op.method !== method.toLowerCase()) continue;
    const match = op.pattern.exec(path);
    if (match === null) continue;
    const params = Object.fromEntries(
      op.params.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? "")]),
    );
    return { op, params };
  }
  return null;
}

const METHODS = ["get", "post", "put", "patch", "delete"];

function collectOperations(input: {
  spec: Json;
  components: Json;
  ajv: InstanceType<typeof AjvModule.default>;
}): ImsOperation[] {
  const { spec, components, ajv } = input;
  const operations: ImsOperation[] = [];
  for (const [template, item] of Object.entries((spec.paths ?? {}) as Record<string, Json>)) {
    const pathParams = (item.parameters ?? []) as Json[];
    for (const method of METHODS) {
      const operation = item[method] as Json | undefined;
      if (operation === undefined) continue;
      const params = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "");
      const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, "([^/]+)")}$`);
      operations.push({
        method,
        template,
        pattern,
        params,
        validateParam: paramValidators(
          [...pathParams, ...((operation.parameters ?? []) as Json[])],
          components,
          ajv,
        ),
        validateBody: bodyValidator(operation, ajv),
        responses: responseValidators(operation, components, ajv),
      });
    }
  }
  return operations;
}

function paramValidators(
  params: Json[],
  components: Json,
  ajv: InstanceType<typeof AjvModule.default>,
): Map<string, ValidateFunction> {
  const map = new Map<string, ValidateFunction>();
  for (const raw of params) {
    const param = resolve(raw, components);
    if (param.in !== "path" || typeof param.name !== "string") continue;
    map.set(param.name, ajv.compile(convert(param.schema as Json, "request")));
  }
  return map;
}

function bodyValidator(
  operation: Json,
  ajv: InstanceType<typeof AjvModule.default>,
): ValidateFunction | null {
  const body = operation.requestBody as Json | undefined;
  const schema = ((body?.content as Json | undefined)?.["application/json"] as Json | undefined)?.schema as
    Json | undefined;
  return schema === undefined ? null : ajv.compile(convert(schema, "request"));
}

function responseValidators(
  operation: Json,
  components: Json,
  ajv: InstanceType<typeof AjvModule.default>,
): Map<number, ValidateFunction | null> {
  const map = new Map<number, ValidateFunction | null>();
  for (const [status, raw] of Object.entries((operation.responses ?? {}) as Record<string, Json>)) {
    const response = resolve(raw, components);
    const schema = ((response.content as Json | undefined)?.["application/json"] as Json | undefined)
      ?.schema as Json | undefined;
    map.set(Number(status), schema === undefined ? null : ajv.compile(convert(schema, "response")));
  }
  return map;
}

/** Follow a `#/components/<kind>/<name>` reference (parameters and responses). */
function resolve(value: Json, components: Json): Json {
  const ref = value.$ref;
  if (typeof ref !== "string") return value;
  const [, kind, name] = /^#\/components\/(\w+)\/(.+)$/.exec(ref) ?? [];
  return ((components[kind ?? ""] as Json | undefined)?.[name ?? ""] ?? {}) as Json;
}

function convertAll(schemas: Json, mode: "request" | "response"): Json {
  return Object.fromEntries(
    Object.entries(schemas).map(([name, schema]) => [name, convert(schema as Json, mode)]),
  );
}

const DROPPED = new Set(["example", "xml", "externalDocs", "discriminator", "deprecated", "nullable"]);

/** One OpenAPI 3.0 schema as JSON Schema, for a request or a response. */
export function convert(schema: Json, mode: "request" | "response"): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DROPPED.has(key) || key.startsWith("x-")) continue;
    out[key] = convertKeyword({ key, value, mode });
  }
  if (mode === "request" && out.properties !== undefined) forbidReadOnly(out);
  if (schema.nullable !== true) return out;
  if (typeof out.type === "string")
    return {
      ...out,
      type: [out.type, "null"],
      ...(out.enum ? { enum: [...(out.enum as unknown[]), null] } : {}),
    };
  return { anyOf: [out, { type: "null" }] };
}

function convertKeyword(input: { key: string; value: unknown; mode: "request" | "response" }): unknown {
  const { key, value, mode } = input;
  if (key === "$ref" && typeof value === "string")
    return value.replace(/^#\/components\/schemas\//, `ims-${mode}#/components/schemas/`);
  if (key === "properties" || key === "patternProperties") {
    return Object.fromEntries(
      Object.entries(value as Json).map(([name, sub]) => [name, convert(sub as Json, mode)]),
    );
  }
  if (["items", "additionalProperties", "not"].includes(key) && typeof value === "object" && value !== null) {
    return convert(value as Json, mode);
  }
  if (["allOf", "anyOf", "oneOf"].includes(key)) return (value as Json[]).map((sub) => convert(sub, mode));
  return value;
}

/** In a request, a readOnly property is IMS's to set: sending it is a contract violation. */
function forbidReadOnly(schema: Json): void {
  const properties = schema.properties as Json;
  const readOnly = Object.keys(properties).filter((name) => (properties[name] as Json).readOnly === true);
  for (const name of readOnly) properties[name] = false;
  if (Array.isArray(schema.required))
    schema.required = (schema.required as string[]).filter((name) => !readOnly.includes(name));
}
