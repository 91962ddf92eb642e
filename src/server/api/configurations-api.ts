/**
 * `/v3/configurations` of CFS over Git: list (paging, `in_use`), describe, PUT (create or replace),
 * PATCH (pin branch layers to their current commits, as CFS's update-branches), DELETE (refused
 * while a component or an unfinished session uses it). Reads and writes are the CLI's own
 * (`cfs-gitops configurations ...`), so both give the same answers and make the same commits.
 */
import { manifestPath, type ConfigurationManifest } from "../../api/index.js";
import {
  ConfigurationNotFoundError,
  configurationData,
  createConfiguration,
  deleteConfiguration,
  updateConfiguration,
} from "../../cli/commands/configurations.js";
import { configurationFromFile } from "../../cli/configuration-edit.js";
import { lastUpdated } from "../../cli/configuration-git.js";
import { CliError } from "../../cli/errors.js";
import { configurationManifestPaths, type ManifestTree } from "../../cli/repo-tree.js";
import { pageByName, parseLimit } from "../../cli/session-filters.js";
import { readBase } from "../../cli/write-change.js";
import { BranchConflictError } from "../../git/branch-writer.js";
import { ApiError, badRequest, notFound } from "./api-error.js";
import type { ApiRepo } from "./api-repo.js";
import { DEFAULT_PAGE_SIZE, type ApiReply, type ApiRequest, type ApiRoute } from "./api-router.js";
import { API_TRAILER } from "./sessions-api.js";

/** Fields of CFS's V3ConfigurationData a PUT may carry (`name`, `last_updated` are ignored as CFS does). */
const PUT_FIELDS = ["name", "description", "layers", "additional_inventory", "last_updated", "tenant_name"];

/** Inputs of the configuration routes. */
export interface ConfigurationRoutesInput {
  repo: ApiRepo;
  gitDir: string;
  /** `limit` when the query gives none (default DEFAULT_PAGE_SIZE, as CFS's default_page_size). */
  pageSize?: number;
}

/** The routes of `/v3/configurations`. */
export function configurationRoutes(input: ConfigurationRoutesInput): ApiRoute[] {
  const one = "/v3/configurations/{configuration_id}";
  return [
    { method: "GET", template: "/v3/configurations", handler: (req) => listConfigurations(req, input) },
    { method: "GET", template: one, handler: (req) => getConfiguration(req, input) },
    { method: "PUT", template: one, handler: (req) => putConfiguration(req, input) },
    { method: "PATCH", template: one, handler: (req) => patchConfiguration(req, input) },
    { method: "DELETE", template: one, handler: (req) => removeConfiguration(req, input) },
  ];
}

async function readView(input: ConfigurationRoutesInput): Promise<{
  tree: ManifestTree;
  data: (manifest: ConfigurationManifest) => Record<string, unknown>;
}> {
  const tree = await input.repo.tree();
  if (tree === null) throw new ApiError(503, "Service Unavailable", "The watched branch does not exist yet");
  const paths = [...tree.blobs.keys()].filter((path) => path.startsWith("configurations/"));
  const updated = await lastUpdated({ gitDir: input.gitDir, tip: tree.commit, paths });
  const data = (manifest: ConfigurationManifest): Record<string, unknown> => {
    const [path] = configurationManifestPaths(tree, manifest.name);
    return configurationData(manifest, path === undefined ? null : (updated.get(path) ?? null));
  };
  return { tree, data };
}

async function listConfigurations(req: ApiRequest, input: ConfigurationRoutesInput): Promise<ApiReply> {
  const limit =
    asBadRequest(() => parseLimit(req.query.get("limit") || undefined)) ??
    input.pageSize ??
    DEFAULT_PAGE_SIZE;
  const inUse = parseInUse(req.query.get("in_use"));
  const after = req.query.get("after_id") || null;
  const { tree, data } = await readView(input);
  const used = new Set(tree.desired.components.map((c) => c.desired_config).filter(Boolean));
  const all = [...tree.desired.configurations.values()].filter(
    (c) => inUse === null || used.has(c.name) === inUse,
  );
  const page = pageByName(all, { limit, after });
  return {
    status: 200,
    body: {
      configurations: page.items.map(data),
      next: page.next === null ? null : { limit, after_id: page.next, in_use: inUse },
    },
  };
}

function parseInUse(value: string | null): boolean | null {
  if (value === null || value === "") return null;
  if (value === "true" || value === "false") return value === "true";
  throw badRequest(`in_use ${value}: use true or false`);
}

function asBadRequest<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CliError) throw badRequest(error.message.replace("--limit", "limit"));
    throw error;
  }
}

async function getConfiguration(req: ApiRequest, input: ConfigurationRoutesInput): Promise<ApiReply> {
  const name = req.params["configuration_id"] ?? "";
  const { tree, data } = await readView(input);
  const manifest = tree.desired.configurations.get(name);
  if (!manifest) throw notFound(`Configuration ${name} could not be found`);
  return { status: 200, body: data(manifest) };
}

async function putConfiguration(req: ApiRequest, input: ConfigurationRoutesInput): Promise<ApiReply> {
  const name = req.params["configuration_id"] ?? "";
  const manifest = manifestOfBody(name, await req.body());
  return input.repo.written(
    req.caller,
    (context) =>
      explain(async () => {
        const exists = configurationManifestPaths(await readBase(context), name).length > 0;
        const trailer = `Written by ${req.caller.name} with: PUT /v3/configurations/${name}\n\n${API_TRAILER}`;
        if (exists) await updateConfiguration({ context, name, manifest, flags: {}, trailer });
        else await createConfiguration({ context, name, manifest, trailer });
      }),
    () => getConfiguration(req, input),
  );
}

/** The manifest of a PUT body (CFS's shape); unknown fields refused as CFS refuses them. */
function manifestOfBody(name: string, body: unknown): ConfigurationManifest {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest("The request body must be a JSON object");
  const unknown = Object.keys(body).filter((key) => !PUT_FIELDS.includes(key));
  if (unknown.length > 0)
    throw badRequest(
      `Additional properties are not allowed (${unknown.map((key) => `'${key}'`).join(", ")} ${unknown.length === 1 ? "was" : "were"} unexpected)`,
    );
  const { name: _name, ...rest } = body as Record<string, unknown>;
  return asBadRequest(() =>
    configurationFromFile({
      name,
      file: `PUT ${manifestPath("Configuration", name)}`,
      text: JSON.stringify(rest),
    }),
  );
}

async function patchConfiguration(req: ApiRequest, input: ConfigurationRoutesInput): Promise<ApiReply> {
  const name = req.params["configuration_id"] ?? "";
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        updateConfiguration({
          context,
          name,
          manifest: null,
          flags: { updateBranches: true },
          trailer: `Pinned by ${req.caller.name} with: PATCH /v3/configurations/${name}\n\n${API_TRAILER}`,
        }),
      ),
    () => getConfiguration(req, input),
  );
}

async function removeConfiguration(req: ApiRequest, input: ConfigurationRoutesInput): Promise<ApiReply> {
  const name = req.params["configuration_id"] ?? "";
  return input.repo.written(
    req.caller,
    (context) =>
      explain(() =>
        deleteConfiguration({
          context,
          name,
          trailer: `Deleted by ${req.caller.name} with: DELETE /v3/configurations/${name}\n\n${API_TRAILER}`,
        }),
      ),
    () => ({ status: 204 }),
  );
}

/** The CLI's refusals as HTTP answers: not found 404, a concurrent edit 409, any other refusal 400. */
async function explain<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof ConfigurationNotFoundError) throw notFound(error.message);
    if (error instanceof BranchConflictError) throw new ApiError(409, "Conflict", error.message);
    if (error instanceof CliError) throw badRequest(error.message);
    throw error;
  }
}
