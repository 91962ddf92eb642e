/**
 * Every operation of CFS's spec that `cray`, BOS and scripts can call (v3 and the unversioned
 * `/`, `/versions`, `/healthz`) reaches a handler of the running API, or is named in the README's
 * list of what the API does not serve, with a reason. The list is kept honest both ways: an
 * operation listed there must really be unserved (the router's own 404 or 405).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO_ROOT, referenceSpecPath } from "../../../helpers/reference-spec.js";
import type { ApiAnswer } from "../../../helpers/api-client.js";
import { startApiHarness, type ApiHarness } from "./api-harness.js";

const METHODS = ["get", "put", "post", "patch", "delete"] as const;

/** `METHOD /path` of every operation of the spec under v3 or unversioned. */
function specOperations(spec: string): string[] {
  const document = parse(readFileSync(spec, "utf8")) as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths)
    .filter(([path]) => !path.startsWith("/v2"))
    .flatMap(([path, item]) =>
      METHODS.filter((method) => item[method] !== undefined).map((m) => `${m.toUpperCase()} ${path}`),
    );
}

/**
 * The operations the README says are not served: in its section "The REST API", the first list
 * after the line starting `**Not served`, each bullet naming one or more `` `METHOD|METHOD /path` ``.
 */
function readmeNotServed(): string[] {
  const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
  const section = readme.split(/^## /m).find((part) => part.startsWith("The REST API")) ?? "";
  const after = section.split(/^\*\*Not served/m)[1] ?? "";
  const list = after.split(/\n\n/).find((paragraph) => paragraph.startsWith("- ")) ?? "";
  return [
    ...list.matchAll(/`((?:GET|PUT|POST|PATCH|DELETE)(?:\|(?:GET|PUT|POST|PATCH|DELETE))*) (\/[^`\s]*)`/g),
  ].flatMap((match) => (match[1] ?? "").split("|").map((method) => `${method} ${match[2]}`));
}

/** A path of the spec with its parameters filled with names nothing has. */
function concrete(path: string): string {
  return path.replace(/\{\w+\}/g, "zz-spec-coverage");
}

/** True when the router itself found no route: 404 "No such resource" or 405. */
function unrouted(answer: ApiAnswer): boolean {
  if (answer.status === 405) return true;
  return answer.status === 404 && String(answer.json?.detail ?? "").startsWith("No such resource");
}

let h: ApiHarness;

beforeAll(async () => {
  h = await startApiHarness();
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("the spec's operations", () => {
  it("are each served, or listed in the README as not served with a reason", async (context) => {
    const operations = specOperations(referenceSpecPath(context, "cfs"));
    expect(operations.length).toBeGreaterThan(20);
    const notServed = new Set(readmeNotServed());
    const missing: string[] = [];
    const listedButServed: string[] = [];
    for (const operation of operations) {
      const [method = "GET", path = "/"] = operation.split(" ");
      const answer = await h.call({
        method,
        path: `/apis/cfs${concrete(path)}`,
        ...(method === "GET" || method === "DELETE" ? {} : { body: {} }),
      });
      if (unrouted(answer) && !notServed.has(operation)) missing.push(`${operation} (${answer.status})`);
      if (!unrouted(answer) && notServed.has(operation)) listedButServed.push(operation);
    }
    expect(missing, "served by nothing and not in the README's **Not served** list").toEqual([]);
    expect(listedButServed, "served now: remove from the README's **Not served** list").toEqual([]);
  });

  it("lists in the README only operations the spec has", (context) => {
    const operations = new Set(specOperations(referenceSpecPath(context, "cfs")));
    const listed = readmeNotServed();
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((operation) => !operations.has(operation))).toEqual([]);
  });
});
