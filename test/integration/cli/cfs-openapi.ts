/**
 * Validators for schemas of the real CFS v3 API (`cfs-openapi.yaml`, found by `reference-spec.ts`:
 * `$CFS_OPENAPI_SPEC` or `../shared/reference/`; read in place, never copied). OpenAPI 3.0 schemas
 * compile with ajv as they are: `nullable` is an ajv keyword, `example`/`readOnly` are
 * annotations, and the two formats used get checking functions. Tests get the path with
 * `referenceSpecPath(context, "cfs")`, which skips them, with the reason, when there is none.
 */
import { existsSync, readFileSync } from "node:fs";
import AjvModule, { type ValidateFunction } from "ajv";
import { parse } from "yaml";

type Json = Record<string, unknown>;

/** The OpenAPI document at `path`; fails plainly when the file is not there. */
export function loadCfsOpenApi(path: string): Json {
  if (!existsSync(path)) {
    throw new Error(`the CFS OpenAPI file is not at ${path}: this test validates CLI output against it`);
  }
  return parse(readFileSync(path, "utf8")) as Json;
}

/** A validator for `#/components/schemas/<name>` of the spec at `input.spec`; `patch` may adjust a copy first. */
export function cfsSchemaValidator(input: {
  spec: string;
  name: string;
  patch?: (schemas: Record<string, Json>) => void;
}): ValidateFunction {
  const { spec, name, patch } = input;
  const document = structuredClone(loadCfsOpenApi(spec));
  const schemas = (document["components"] as Json)["schemas"] as Record<string, Json>;
  if (!schemas[name]) throw new Error(`${spec} has no schema ${name}`);
  patch?.(schemas);
  const Ajv = AjvModule.default;
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addFormat(
    "date-time",
    (text: string) => !Number.isNaN(Date.parse(text)) && /^\d{4}-\d\d-\d\dT/.test(text),
  );
  ajv.addFormat("uuid", /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addSchema({ $id: "cfs", components: { schemas } });
  return ajv.compile({ $ref: `cfs#/components/schemas/${name}` });
}

/**
 * Fields CFS prints as null although the spec types them as plain strings/arrays: `cray cfs v3
 * sessions describe` shows `completion_time: null` until a session completes (seed 000's example),
 * and our records also keep `start_time` and `job` null until the runner starts the session, and
 * `target.groups` null for dynamic targets. The test marks exactly these nullable, and checks no
 * other field is null unless the spec allows it.
 */
export function allowCfsNulls(schemas: Record<string, Json>): void {
  const session = (schemas["V3SessionStatusSessionSection"] as { properties: Record<string, Json> })
    .properties;
  for (const field of ["completion_time", "start_time", "job"])
    session[field] = { ...session[field], nullable: true };
  const target = (schemas["SessionTargetSection"] as { properties: Record<string, Json> }).properties;
  target["groups"] = { ...target["groups"], nullable: true };
}

/** JSON pointers of every null in a value. */
export function nullPaths(value: unknown, at = ""): string[] {
  if (value === null) return [at];
  if (typeof value !== "object") return [];
  return Object.entries(value as Json).flatMap(([key, child]) => nullPaths(child, `${at}/${key}`));
}
