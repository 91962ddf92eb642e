/** What every forge implementation is made from. */

/** Options of createGiteaForge, createGithubForge and createGitlabForge. */
export interface ForgeOptions {
  /** The REST API base (`https://api.github.com`, `https://git.example.org/api/v1`, `.../api/v4`). */
  baseUrl: string;
  /** The repository: `owner/name` (GitLab: the project's full path, `group/sub/name`). */
  repo: string;
  /** Reads the token (see tokenFromFile). */
  token: () => Promise<string>;
  /** default globalThis.fetch */
  fetch?: typeof fetch;
  /** Per request; default 15 s. */
  timeoutMs?: number;
  now?: () => Date;
}

/** The HTTP client fields of ForgeOptions (what forgeRequest takes besides the token header). */
export function httpBase(options: ForgeOptions): {
  baseUrl: string;
  token: () => Promise<string>;
  fetch?: typeof fetch;
  timeoutMs?: number;
  now?: () => Date;
} {
  const { baseUrl, token, fetch, timeoutMs, now } = options;
  return {
    baseUrl: baseUrl.replace(/\/+$/, ""),
    token,
    ...(fetch === undefined ? {} : { fetch }),
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(now === undefined ? {} : { now }),
  };
}

/** `owner/name` as two URL-encoded path segments (`owner/name`). */
export function repoPath(repo: string): string {
  return repo
    .split("/")
    .map((part) => encodeURIComponent(part))
    .join("/");
}

/** A positive pull request number from a JSON field, or null. */
export function positiveInt(value: unknown): number | null {
  return typeof value === "number" && Number.isInteger(value) && value > 0 ? value : null;
}
