/**
 * `GET /v3/options`: the watched branch's `cfs.yaml` in CFS's V3Options shape, with the defaults
 * the controller applies (`session_ttl` 7d, `default_ansible_config`) filled in. Fields of
 * `cfs.yaml` that CFS has no option for (`max_concurrent_sessions`) are left out, as V3Options
 * allows no others.
 */
import { DEFAULT_ANSIBLE_CONFIG, DEFAULT_SESSION_TTL, type OptionsManifest } from "../../api/index.js";
import { ApiError } from "./api-error.js";
import type { ApiRepo } from "./api-repo.js";
import type { ApiRoute } from "./api-router.js";

const CFS_OPTION_FIELDS = [
  "session_ttl",
  "default_ansible_config",
  "default_batcher_retry_policy",
  "batch_size",
  "batch_window",
  "batcher_disable",
  "debug_wait_time",
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

/** The routes of `/v3/options` (GET only this round). */
export function optionsRoutes(input: { repo: ApiRepo }): ApiRoute[] {
  return [
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
