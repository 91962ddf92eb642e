/** `/versions` (and `/`, `/v3`) and `/healthz` of the REST API. */
import type { ApiRepo } from "./api-repo.js";
import type { ApiReply, ApiRoute } from "./api-router.js";

/** The version CFS clients are told (this project's, as major/minor/patch strings). */
export const API_VERSION_PARTS = { major: "0", minor: "1", patch: "0" } as const;

/**
 * The version and health routes. Health: `db_status` is the Git repository (the watched branch
 * readable: `ok`, else `unavailable` and 503); `kafka_status` is `not_used` (there is no Kafka).
 */
export function metaRoutes(input: { repo: ApiRepo }): ApiRoute[] {
  const version = (): Promise<ApiReply> => Promise.resolve({ status: 200, body: { ...API_VERSION_PARTS } });
  return [
    { method: "GET", template: "/", handler: version },
    { method: "GET", template: "/versions", handler: version },
    { method: "GET", template: "/v3", handler: version },
    { method: "GET", template: "/healthz", handler: () => healthz(input.repo) },
  ];
}

async function healthz(repo: ApiRepo): Promise<ApiReply> {
  try {
    await repo.tree();
    return { status: 200, body: { db_status: "ok", kafka_status: "not_used" } };
  } catch {
    return { status: 503, body: { db_status: "unavailable", kafka_status: "not_used" } };
  }
}
