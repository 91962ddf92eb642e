/**
 * `/v3/sources` of CFS over Git, reads: list (paging) and describe, from the `sources/<name>.yaml`
 * manifests of the watched branch, in the shape of V3SourceData (credentials named, never given;
 * `last_updated` is when the manifest last changed). Writes are not served: a source is a
 * reviewed file, and CFS's create request carries a password that must not be committed.
 */
import type { SourceManifest } from "../../api/index.js";
import { lastUpdated } from "../../cli/configuration-git.js";
import { CliError } from "../../cli/errors.js";
import { pageByName, parseLimit } from "../../cli/session-filters.js";
import { sourceRecord } from "../../plan/index.js";
import { ApiError, badRequest } from "./api-error.js";
import type { ApiRepo } from "./api-repo.js";
import { DEFAULT_PAGE_SIZE, type ApiReply, type ApiRequest, type ApiRoute } from "./api-router.js";

/** Inputs of the source routes. */
export interface SourceRoutesInput {
  repo: ApiRepo;
  gitDir: string;
  /** `limit` when the query gives none (default DEFAULT_PAGE_SIZE). */
  pageSize?: number;
}

/** The read routes of `/v3/sources`. */
export function sourceRoutes(input: SourceRoutesInput): ApiRoute[] {
  return [
    { method: "GET", template: "/v3/sources", handler: (req) => listSources(req, input) },
    { method: "GET", template: "/v3/sources/{source_id}", handler: (req) => getSource(req, input) },
  ];
}

/** The sources of the watched branch's tip, and the V3SourceData of each. */
async function readView(
  input: SourceRoutesInput,
): Promise<{ sources: ReadonlyMap<string, SourceManifest>; data: (s: SourceManifest) => object }> {
  const tree = await input.repo.tree();
  if (tree === null) throw new ApiError(503, "Service Unavailable", "The watched branch does not exist yet");
  const paths = [...tree.blobs.keys()].filter((path) => path.startsWith("sources/"));
  const updated = await lastUpdated({ gitDir: input.gitDir, tip: tree.commit, paths });
  const data = (source: SourceManifest): object => {
    const path = paths.find((p) => p === `sources/${source.name}.yaml` || p === `sources/${source.name}.yml`);
    const { last_updated: _unknown, ...rest } = sourceRecord(source, "");
    const when = path === undefined ? undefined : updated.get(path);
    return { ...rest, ...(when === undefined ? {} : { last_updated: when }) };
  };
  return { sources: tree.desired.sources, data };
}

async function listSources(req: ApiRequest, input: SourceRoutesInput): Promise<ApiReply> {
  let limit: number;
  try {
    limit = parseLimit(req.query.get("limit") || undefined) ?? input.pageSize ?? DEFAULT_PAGE_SIZE;
  } catch (error) {
    if (error instanceof CliError) throw badRequest(error.message.replace("--limit", "limit"));
    throw error;
  }
  const after = req.query.get("after_id") || null;
  const { sources, data } = await readView(input);
  const page = pageByName([...sources.values()], { limit, after });
  return {
    status: 200,
    body: {
      sources: page.items.map(data),
      next: page.next === null ? null : { limit, after_id: page.next },
    },
  };
}

async function getSource(req: ApiRequest, input: SourceRoutesInput): Promise<ApiReply> {
  const name = req.params["source_id"] ?? "";
  const { sources, data } = await readView(input);
  const source = sources.get(name);
  if (source === undefined) throw new ApiError(404, "Source not found", `Source ${name} could not be found`);
  return { status: 200, body: data(source) };
}
