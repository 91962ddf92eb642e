/**
 * `/v3/options`: GET answers the watched branch's `cfs.yaml` in CFS's V3Options shape, with the
 * defaults the controller applies (`session_ttl` 7d, `default_ansible_config`) filled in; fields
 * of `cfs.yaml` that CFS has no option for (`max_concurrent_sessions`) are left out, as V3Options
 * allows no others. PATCH commits the given options into `cfs.yaml` (comments and other keys
 * kept), checked with the controller's parser and schema first.
 */
import { yaml } from "../../manifest/yaml-library.js";
import {
  API_VERSION,
  DEFAULT_ANSIBLE_CONFIG,
  DEFAULT_SESSION_TTL,
  OPTIONS_PATH,
  type OptionsManifest,
} from "../../api/index.js";
import { assertNoNewProblems } from "../../cli/commands/configurations.js";
import { CliError } from "../../cli/errors.js";
import type { ManifestTree } from "../../cli/repo-tree.js";
import { commitChange, readBase, type WriteContext } from "../../cli/write-change.js";
import { BranchConflictError } from "../../git/branch-writer.js";
import { ApiError, badRequest } from "./api-error.js";
import type { ApiRepo } from "./api-repo.js";
import type { ApiReply, ApiRequest, ApiRoute } from "./api-router.js";
import { API_TRAILER } from "./sessions-api.js";

/** V3Options fields cfs-gitops has no setting for (a PATCH naming one is refused). */
const UNSUPPORTED_CFS_OPTIONS = [
  "hardware_sync_interval",
  "batcher_check_interval",
  "default_playbook",
  "batcher_max_backoff",
  "batcher_pending_timeout",
  "logging_level",
  "default_page_size",
  "include_ara_links",
];

const CFS_OPTION_FIELDS = [
  "session_ttl",
  "default_ansible_config",
  "default_batcher_retry_policy",
  "batch_size",
  "batch_window",
  "batcher_disable",
  "debug_wait_time",
  "additional_inventory_url",
  "additional_inventory_source",
] as const;

/** The CFS options of a `cfs.yaml` (null: the repository has none), defaults filled in. */
export function cfsOptions(options: OptionsManifest | null): Record<string, unknown> {
  const out: Record<string, unknown> = {
    session_ttl: DEFAULT_SESSION_TTL,
    default_ansible_config: DEFAULT_ANSIBLE_CONFIG,
  };
  for (const field of CFS_OPTION_FIELDS) if (options?.[field] !== undefined) out[field] = options[field];
  return out;
}

/** The routes of `/v3/options`. */
export function optionsRoutes(input: { repo: ApiRepo }): ApiRoute[] {
  return [
    { method: "PATCH", template: "/v3/options", handler: (req) => patchOptions(req, input.repo) },
    {
      method: "GET",
      template: "/v3/options",
      handler: async () => {
        const tree = await input.repo.tree();
        if (tree === null)
          throw new ApiError(503, "Service Unavailable", "The watched branch does not exist yet");
        return { status: 200, body: cfsOptions(tree.desired.options) };
      },
    },
  ];
}

/** The option values of a PATCH body; 400 for anything else. */
export function optionsOfBody(body: unknown): Record<string, unknown> {
  if (typeof body !== "object" || body === null || Array.isArray(body))
    throw badRequest("The request body must be a JSON object");
  const keys = Object.keys(body);
  const unknown = keys.filter(
    (key) =>
      !(CFS_OPTION_FIELDS as readonly string[]).includes(key) && !UNSUPPORTED_CFS_OPTIONS.includes(key),
  );
  if (unknown.length > 0)
    throw badRequest(
      `Additional properties are not allowed (${unknown.map((key) => `'${key}'`).join(", ")} ${unknown.length === 1 ? "was" : "were"} unexpected)`,
    );
  const unsupported = keys.filter((key) => UNSUPPORTED_CFS_OPTIONS.includes(key));
  if (unsupported.length > 0)
    throw badRequest(`cfs-gitops has no option ${unsupported.join(", ")}: see cfs.yaml in the README`);
  return body as Record<string, unknown>;
}

/** `cfs.yaml`'s text with `values` set (a new file when there is none). */
export function patchedOptionsText(text: string | null, values: Record<string, unknown>): string {
  const doc = yaml().parseDocument(text ?? `apiVersion: ${API_VERSION}\nkind: Options\n`);
  for (const [key, value] of Object.entries(values)) doc.set(key, value);
  return doc.toString({ lineWidth: 0 });
}

async function patchOptions(req: ApiRequest, repo: ApiRepo): Promise<ApiReply> {
  const values = optionsOfBody(await req.body());
  return repo.written(
    req.caller,
    (context) => commitOptions({ context, values, caller: req.caller.name }),
    (options) => ({ status: 200, body: cfsOptions(options) }),
  );
}

async function commitOptions(input: {
  context: WriteContext;
  values: Record<string, unknown>;
  caller: string;
}): Promise<OptionsManifest | null> {
  const { context, values } = input;
  const before = await readBase(context);
  if (Object.keys(values).length === 0) return before.desired.options;
  const old = before.blobs.has(OPTIONS_PATH) ? (before.texts.get(OPTIONS_PATH) ?? "") : null;
  const changes = new Map([[OPTIONS_PATH, Buffer.from(patchedOptionsText(old, values))]]);
  const check = (after: ManifestTree): void => assertNoNewProblems({ before, after, what: OPTIONS_PATH });
  const after = await readBase(context, changes);
  try {
    check(after);
    await commitChange(context, {
      changes,
      subject: `Update options: ${Object.keys(values).join(", ")}`,
      body: `Changed by ${input.caller} with: PATCH /v3/options\n\n${API_TRAILER}`,
      check,
    });
  } catch (error) {
    if (error instanceof BranchConflictError) throw new ApiError(409, "Conflict", error.message);
    if (error instanceof CliError) throw badRequest(error.message);
    throw error;
  }
  return after.desired.options;
}
