/**
 * Parse and validate one manifest file of the configuration repository. Every way a file can be
 * unusable becomes a positioned ManifestError; nothing here throws.
 */
import { isRegularFileMode } from "./file-mode.js";
import type { Document, LineCounter } from "yaml";
import {
  API_VERSION,
  KIND_DIRS,
  MAX_MANIFEST_BYTES,
  kindOfPath,
  manifestStem,
  type ComponentManifest,
  type ConfigurationManifest,
  type Kind,
  type ManifestError,
  type OptionsManifest,
  type SessionManifest,
  type SourceManifest,
} from "../api/index.js";
import { manifestRuleIssues } from "./manifest-rules.js";
import { decodeUtf8 } from "./decode-utf8.js";
import { describeSchemaErrors, shown } from "./describe-schema-errors.js";
import { locateNode } from "./locate-node.js";
import { normalizeManifest } from "./normalize-manifest.js";
import { readPlainYaml } from "./plain-yaml.js";
import { readYaml } from "./read-yaml.js";
import { yaml } from "./yaml-library.js";
import { schemaValidator } from "./schema-validator.js";
import { failureMessage } from "../api/errors.js";

/** The stable codes of the errors parseManifest reports. */
export type ManifestErrorCode =
  | "not-regular-file"
  | "misplaced"
  | "too-large"
  | "encoding"
  | "yaml"
  | "not-an-object"
  | "schema"
  | "name-mismatch"
  | "duplicate-layer";

/** The manifest type of each kind. */
export interface ManifestsByKind {
  Session: SessionManifest;
  Configuration: ConfigurationManifest;
  Component: ComponentManifest;
  Options: OptionsManifest;
  Source: SourceManifest;
}

/** A valid manifest, typed by its kind; `name` is its name (Component: id; Options: the file stem). */
export type ParsedManifest = {
  [K in Kind]: { ok: true; kind: K; manifest: ManifestsByKind[K]; name: string };
}[Kind];

/** A file that cannot be used, with every error found; kind and name when they could be told. */
export interface ParseFailure {
  ok: false;
  kind: Kind | null;
  name: string | null;
  errors: ManifestError[];
}

/** What parseManifest returns. */
export type ParseResult = ParsedManifest | ParseFailure;

/** One file to parse. */
export interface ParseManifestInput {
  /** Repository path: decides the kind expected and the name the manifest must carry. */
  path: string;
  /** The file's content; null when the reader skipped it for being larger than MAX_MANIFEST_BYTES. */
  bytes: Uint8Array | string | null;
  /** The file's size in bytes, when `bytes` is null. */
  size?: number;
  /** Git mode ("100644", or the number a tree walk gives); absent for files not read from Git. */
  mode?: string | number;
}

const KINDS: readonly Kind[] = ["Session", "Configuration", "Component", "Options", "Source"];
const encoder = new TextEncoder();

/** Parse, validate and name-check one manifest; errors carry 1-based line and column. */
export function parseManifest(input: ParseManifestInput): ParseResult {
  const pathKind = kindOfPath(input.path);
  try {
    return parseChecked(input, pathKind);
  } catch (err) {
    const detail = failureMessage(err);
    return failure(pathKind, null, [errorAt(1, 1, "yaml", `cannot read this file: ${detail}`)]);
  }
}

function parseChecked(input: ParseManifestInput, pathKind: Kind | null): ParseResult {
  const fileError = placeError(input.path) ?? modeError(input.mode) ?? sizeError(input);
  if (fileError !== null) return failure(pathKind, null, [fileError]);
  const decoded = decode(input.bytes ?? "");
  if (!decoded.ok) return failure(pathKind, null, [decoded.error]);
  // Most manifests are plain YAML, read ~10x faster without positions; a file that has anything
  // to report is read again with them, so every error is the one readYaml's reading gives.
  const plain = readPlainYaml(decoded.text);
  if (plain !== null) {
    const lines = new (yaml().LineCounter)();
    const quick = checkDocument({ path: input.path, pathKind, doc: null, value: plain.value, lines });
    if (quick.ok) return quick;
  }
  const read = readYaml(decoded.text);
  if (!read.ok) {
    const errors = read.problems.map((p) => positioned(read.lineCounter, p.offset, "yaml", p.message));
    return failure(pathKind, null, errors);
  }
  return checkDocument({
    path: input.path,
    pathKind,
    doc: read.doc,
    value: read.value,
    lines: read.lineCounter,
  });
}

/**
 * A file in a folder under `sessions/` (`sessions/a/q.yaml`, `sessions/y.yaml/z.yaml`) is never a
 * session: the contract is `sessions/<name>.yaml`, so it is a problem, not something that runs.
 */
function placeError(path: string): ManifestError | null {
  const dir = `${KIND_DIRS.Session}/`;
  if (!path.startsWith(dir) || !path.slice(dir.length).includes("/")) return null;
  const message = `session files sit directly in ${dir} (${dir}<name>.yaml), not in a folder under it: move this file to ${dir}${manifestStem(path)}.yaml`;
  return errorAt(1, 1, "misplaced", message);
}

function modeError(mode: string | number | undefined): ManifestError | null {
  if (mode === undefined) return null;
  const text = typeof mode === "number" ? mode.toString(8) : mode;
  if (isRegularFileMode(text)) return null;
  const what =
    text === "120000"
      ? "a symbolic link (git mode 120000); replace it with the file itself"
      : text === "160000"
        ? "a git submodule (git mode 160000); a manifest must be a file of this repository"
        : `not a regular file (git mode ${text}); a manifest must be a regular file (mode 100644)`;
  return errorAt(1, 1, "not-regular-file", `this is ${what}`);
}

function sizeError(input: ParseManifestInput): ManifestError | null {
  const size =
    input.bytes === null
      ? (input.size ?? MAX_MANIFEST_BYTES + 1)
      : typeof input.bytes === "string"
        ? encoder.encode(input.bytes).length
        : input.bytes.length;
  if (size <= MAX_MANIFEST_BYTES) return null;
  // A reader that skipped a large blob may hand over a stand-in of MAX + 1 bytes: then say "over 1 MiB".
  const what = size === MAX_MANIFEST_BYTES + 1 ? "over 1 MiB" : `${size} bytes`;
  const message = `the file is ${what}, more than the ${MAX_MANIFEST_BYTES} bytes (1 MiB) a manifest may have: make it smaller`;
  return errorAt(1, 1, "too-large", message);
}

function decode(
  bytes: Uint8Array | string,
): { ok: true; text: string } | { ok: false; error: ManifestError } {
  if (typeof bytes === "string") return { ok: true, text: bytes.replace(/^\uFEFF/, "") };
  const decoded = decodeUtf8(bytes);
  if (decoded.ok) return decoded;
  const before = decodeUtf8(bytes.subarray(0, decoded.offset));
  const prefix = before.ok ? before.text : "";
  const line = prefix.split("\n").length;
  const column = prefix.length - prefix.lastIndexOf("\n");
  const byte = (bytes[decoded.offset] ?? 0).toString(16).padStart(2, "0");
  const message = `the file is not valid UTF-8 (byte 0x${byte} at offset ${decoded.offset}): save it as UTF-8`;
  return { ok: false, error: errorAt(line, column, "encoding", message) };
}

interface DocumentInput {
  path: string;
  pathKind: Kind | null;
  doc: Document.Parsed | null;
  value: unknown;
  lines: LineCounter;
}

function checkDocument(input: DocumentInput): ParseResult {
  const { path, pathKind, value } = input;
  if (!isPlainObject(value)) return failure(pathKind, null, [notAnObject(input)]);
  const kind = pathKind ?? kindFrom(value);
  const name = kind === null ? null : nameOf(kind, value, path);
  if (kind === null) return failure(null, null, [unknownKind(input, value)]);
  const found = [...schemaErrors(input, kind, value), ...nameErrors(input, kind, value)];
  const errors = sortErrors(found.length > 0 ? found : ruleErrors(input, kind, value));
  if (errors.length > 0) return failure(kind, name, errors);
  // The validator has just checked `value` against the schema of `kind`, which requires the name.
  const manifest = normalizeManifest({ kind, value, stem: manifestStem(path) });
  return { ok: true, kind, manifest, name: name ?? manifestStem(path) } as unknown as ParsedManifest;
}

function notAnObject(input: DocumentInput): ManifestError {
  const { doc, value } = input;
  if (doc === null || doc.contents === null || value === null) {
    const message = `the file is empty: a manifest is a mapping that starts with apiVersion: ${API_VERSION} and kind`;
    return errorAt(1, 1, "not-an-object", message);
  }
  const offset = doc.contents.range?.[0] ?? 0;
  const message = `the document must be a mapping of fields (apiVersion, kind, ...), not ${shown(value)}`;
  return positioned(input.lines, offset, "not-an-object", message);
}

function unknownKind(input: DocumentInput, value: Record<string, unknown>): ManifestError {
  const where = input.doc === null ? null : locateNode(input.doc, "kind" in value ? ["kind"] : [], "value");
  const message =
    "kind" in value
      ? `kind must be one of ${KINDS.join(", ")} (got ${shown(value.kind)})`
      : `missing required field "kind": add kind: one of ${KINDS.join(", ")}`;
  return positioned(input.lines, where ?? 0, "schema", message);
}

function schemaErrors(input: DocumentInput, kind: Kind, value: Record<string, unknown>): ManifestError[] {
  const validate = schemaValidator(kind);
  if (validate(value)) return [];
  const ctx = { root: value, kind, pathKind: input.pathKind, stem: manifestStem(input.path) };
  return describeSchemaErrors(validate.errors ?? [], ctx).map((issue) => {
    const offset = input.doc === null ? null : locateNode(input.doc, issue.segments, issue.part);
    return positioned(input.lines, offset ?? 0, "schema", issue.message);
  });
}

/** The rules beyond the schema (checked once the schema passed; see manifest-rules.ts). */
function ruleErrors(input: DocumentInput, kind: Kind, value: Record<string, unknown>): ManifestError[] {
  return manifestRuleIssues(kind, value).map((issue) => {
    const offset = input.doc === null ? null : locateNode(input.doc, issue.segments, issue.part);
    return positioned(input.lines, offset ?? 0, issue.code, issue.message);
  });
}

function nameErrors(input: DocumentInput, kind: Kind, value: Record<string, unknown>): ManifestError[] {
  if (kind === "Options") return [];
  const field = kind === "Component" ? "id" : "name";
  const name = value[field];
  const stem = manifestStem(input.path);
  if (typeof name !== "string" || name === stem) return [];
  const file = input.path.slice(input.path.lastIndexOf("/") + 1);
  const renamed = `${name}${/\.ya?ml$/.exec(file)?.[0] ?? ""}`;
  const message = `${field} ${JSON.stringify(name)} does not match the file name ${JSON.stringify(file)}: set ${field}: ${stem}, or rename the file to ${renamed}`;
  const offset = input.doc === null ? null : locateNode(input.doc, [field], "value");
  return [positioned(input.lines, offset ?? 0, "name-mismatch", message)];
}

function kindFrom(value: Record<string, unknown>): Kind | null {
  const kind = value.kind;
  return KINDS.find((k) => k === kind) ?? null;
}

function nameOf(kind: Kind, value: Record<string, unknown>, path: string): string | null {
  if (kind === "Options") return manifestStem(path);
  const name = value[kind === "Component" ? "id" : "name"];
  return typeof name === "string" ? name : null;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function positioned(
  lines: LineCounter,
  offset: number,
  code: ManifestErrorCode,
  message: string,
): ManifestError {
  const { line, col } = lines.linePos(offset);
  return errorAt(Math.max(1, line), Math.max(1, col), code, message);
}

function errorAt(line: number, column: number, code: ManifestErrorCode, message: string): ManifestError {
  return { line, column, message, code };
}

function sortErrors(errors: ManifestError[]): ManifestError[] {
  const seen = new Set<string>();
  return errors
    .filter((e) => {
      const id = `${e.line}:${e.column}:${e.message}`;
      if (seen.has(id)) return false;
      seen.add(id);
      return true;
    })
    .sort((a, b) => a.line - b.line || a.column - b.column);
}

function failure(kind: Kind | null, name: string | null, errors: ManifestError[]): ParseFailure {
  return { ok: false, kind, name, errors };
}
