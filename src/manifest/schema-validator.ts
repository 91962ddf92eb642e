/**
 * The JSON Schemas of the manifest kinds, compiled once per process with ajv (draft 2020-12). ajv
 * is loaded on the first validation, not with the module: commands that import the manifest room
 * only to print an error (`sessions list`, `describe`) do not pay for it.
 */
import { createRequire } from "node:module";
import type { SchemaValidateFunction } from "ajv";
import type Ajv2020Module from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv/dist/2020.js";
import type { Kind } from "../api/index.js";
import componentSchema from "../../schemas/component.schema.json" with { type: "json" };
import configurationSchema from "../../schemas/configuration.schema.json" with { type: "json" };
import optionsSchema from "../../schemas/options.schema.json" with { type: "json" };
import sessionSchema from "../../schemas/session.schema.json" with { type: "json" };
import sourceSchema from "../../schemas/source.schema.json" with { type: "json" };
import { parsePassthrough } from "./passthrough.js";

/** The schema of each kind, as shipped in `schemas/` (editors use the same files). */
export const MANIFEST_SCHEMAS: Readonly<Record<Kind, Readonly<Record<string, unknown>>>> = {
  Session: sessionSchema,
  Configuration: configurationSchema,
  Component: componentSchema,
  Options: optionsSchema,
  Source: sourceSchema,
};

/** Custom keyword on `ansible.passthrough`: the text must split into allowed flags (see passthrough.ts). */
export const PASSTHROUGH_KEYWORD = "cfsPassthrough";

let validators: Map<Kind, ValidateFunction> | null = null;

/** The compiled validator of a kind; all are compiled on first use and reused for the process. */
export function schemaValidator(kind: Kind): ValidateFunction {
  validators ??= compileAll();
  const validate = validators.get(kind);
  if (validate === undefined) throw new Error(`no schema for kind ${kind}`);
  return validate;
}

function compileAll(): Map<Kind, ValidateFunction> {
  const load = createRequire(import.meta.url);
  const Ajv2020 = (load("ajv/dist/2020.js") as { default: typeof Ajv2020Module.default }).default;
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
  });
  ajv.addKeyword({
    keyword: PASSTHROUGH_KEYWORD,
    type: "string",
    schemaType: "boolean",
    errors: true,
    validate: validatePassthrough,
  });
  const compiled = new Map<Kind, ValidateFunction>();
  for (const [kind, schema] of Object.entries(MANIFEST_SCHEMAS) as Array<[Kind, Record<string, unknown>]>) {
    compiled.set(kind, ajv.compile(schema));
  }
  return compiled;
}

const validatePassthrough: SchemaValidateFunction = (_enabled: boolean, data: unknown) => {
  const result = parsePassthrough(typeof data === "string" ? data : "");
  validatePassthrough.errors = result.ok
    ? []
    : [{ keyword: PASSTHROUGH_KEYWORD, message: result.message, params: { passthrough: result.message } }];
  return result.ok;
};
