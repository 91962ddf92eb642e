/**
 * Checks of the records read back from the status branch against their shape (api/records.ts): a
 * record edited by hand, or written by another version, must not reach the planner, which trusts
 * every field it reads. Each check returns the first thing wrong, in plain words, or null.
 */
import { SESSION_STATUSES, SUCCEEDED_VALUES } from "../api/index.js";

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): boolean => typeof value === "string";
const isStringOrNull = (value: unknown): boolean => value === null || typeof value === "string";

/** `field` of `value` checked with `test`; the message names its JSON path. */
function fieldError(value: Json, field: string, test: (v: unknown) => boolean, at: string): string | null {
  return test(value[field]) ? null : `${at}${field} is missing or has the wrong type`;
}

function firstError(checks: ReadonlyArray<() => string | null>): string | null {
  for (const check of checks) {
    const error = check();
    if (error !== null) return error;
  }
  return null;
}

function runStatusError(session: unknown): string | null {
  if (!isObject(session)) return "status.session is missing or not an object";
  const at = "status.session.";
  return firstError([
    () => fieldError(session, "status", (v) => SESSION_STATUSES.includes(v as never), at),
    () => fieldError(session, "succeeded", (v) => SUCCEEDED_VALUES.includes(v as never), at),
    () => fieldError(session, "job", isStringOrNull, at),
    () => fieldError(session, "start_time", isStringOrNull, at),
    () => fieldError(session, "completion_time", isStringOrNull, at),
  ]);
}

function statusError(status: unknown): string | null {
  if (!isObject(status)) return "status is missing or not an object";
  const source = status["source"];
  return firstError([
    () => runStatusError(status["session"]),
    () => fieldError(status, "artifacts", Array.isArray, "status."),
    () => fieldError(status, "layers", Array.isArray, "status."),
    () => fieldError(status, "steps", Array.isArray, "status."),
    () => fieldError(status, "reason", isStringOrNull, "status."),
    () => (isObject(source) ? null : "status.source is missing or not an object"),
    () => (isObject(source) ? fieldError(source, "path", isString, "status.source.") : null),
    () => (isObject(source) ? fieldError(source, "blob", isString, "status.source.") : null),
    () => (isObject(source) ? fieldError(source, "commit", isString, "status.source.") : null),
  ]);
}

/** What is wrong with a session record read from `sessions/<name>.json`, or null when it has the shape. */
export function sessionRecordError(value: unknown, name: string): string | null {
  if (!isObject(value)) return "the record is not a JSON object";
  return firstError([
    () => (value["name"] === name ? null : `name is not "${name}", the file's name`),
    () => fieldError(value, "ansible", isObject, ""),
    () => fieldError(value, "configuration", isObject, ""),
    () => fieldError(value, "target", isObject, ""),
    () => fieldError(value, "tags", isObject, ""),
    () => statusError(value["status"]),
  ]);
}

/** What is wrong with a problem record, or null. */
export function problemRecordError(value: unknown): string | null {
  if (!isObject(value)) return "the record is not a JSON object";
  return firstError([
    () => fieldError(value, "path", isString, ""),
    () => fieldError(value, "commit", isString, ""),
    () => fieldError(value, "blob", isStringOrNull, ""),
    () => fieldError(value, "errors", Array.isArray, ""),
  ]);
}

/** What is wrong with an expired record, or null. */
export function expiredRecordError(value: unknown, name: string): string | null {
  if (!isObject(value)) return "the record is not a JSON object";
  return firstError([
    () => (value["name"] === name ? null : `name is not "${name}", the file's name`),
    () => fieldError(value, "path", isString, ""),
    () => fieldError(value, "blob", isString, ""),
    () => fieldError(value, "expired_at", isString, ""),
  ]);
}
