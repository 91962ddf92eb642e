/**
 * The routes of the REST API and how a request path finds one: `/apis/cfs/v3/...` (the prefix is
 * configurable) and `/v3/...` both reach the same handler. Path templates use the spec's
 * `{param}` syntax.
 */
import type { ApiCaller } from "./api-tokens.js";

/** A request as a handler sees it. */
export interface ApiRequest {
  method: string;
  /** The path without the prefix (`/v3/sessions/x`). */
  path: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  caller: ApiCaller;
  /** The JSON body, read within the server's limits. */
  body(): Promise<unknown>;
}

/** What a handler answers: a status and a JSON body (none for 204). */
export interface ApiReply {
  status: number;
  body?: unknown;
}

/** One route: method, path template, handler. */
export interface ApiRoute {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  template: string;
  handler: (req: ApiRequest) => Promise<ApiReply>;
}

/** The outcome of matching a path: a route with its parameters, a known path with other methods, or nothing. */
export type RouteMatch =
  | { kind: "route"; route: ApiRoute; params: Record<string, string> }
  | { kind: "method"; allowed: string[] }
  | { kind: "none" };

/** The path without the prefix, or the path itself when it does not start with the prefix. */
export function stripPrefix(path: string, prefix: string): string {
  if (prefix === "" || prefix === "/") return path;
  return path === prefix || path.startsWith(`${prefix}/`) ? path.slice(prefix.length) || "/" : path;
}

/** Finds the route of a method and path (already without prefix). */
export function matchRoute(routes: readonly ApiRoute[], method: string, path: string): RouteMatch {
  const allowed: string[] = [];
  for (const route of routes) {
    const params = matchTemplate(route.template, path);
    if (params === null) continue;
    if (route.method === method) return { kind: "route", route, params };
    allowed.push(route.method);
  }
  return allowed.length > 0 ? { kind: "method", allowed } : { kind: "none" };
}

/** The parameters of a path that fits a template, or null. */
export function matchTemplate(template: string, path: string): Record<string, string> | null {
  const want = template.replace(/\/+$/, "").split("/");
  const got = path.replace(/\/+$/, "").split("/");
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (const [i, part] of want.entries()) {
    const value = got[i] ?? "";
    const name = /^\{(\w+)\}$/.exec(part)?.[1];
    if (name === undefined) {
      if (part !== value) return null;
    } else {
      if (value === "") return null;
      params[name] = decodeSegment(value);
    }
  }
  return params;
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** CFS's `default_page_size`: the `limit` of a v3 list that gives none. */
export const DEFAULT_PAGE_SIZE = 1000;

/** True for methods a `read` token may not call. */
export function isWriteMethod(method: string): boolean {
  return method !== "GET" && method !== "HEAD";
}
