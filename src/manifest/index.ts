/** The manifest room: parse YAML with positions, validate with the JSON Schemas, report file:line:col errors. */
export * from "./parse-manifest.js";
export * from "./file-mode.js";
export * from "./format-manifest-error.js";
export * from "./locate-manifest-pointer.js";
export * from "./passthrough.js";
export { MANIFEST_SCHEMAS, schemaValidator } from "./schema-validator.js";
export { MAX_ALIASES, MAX_NESTING } from "./read-yaml.js";
