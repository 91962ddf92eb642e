/** Maps failures of talking to a remote (git CLI or in-process HTTP) to the room's typed errors, once. */
import { GitAuthError, GitCommandError, GitFetchError, type GitError } from "./errors.js";
import { scrubSecrets } from "./scrub-secrets.js";

/** What git prints when the server refused the credentials (with LC_ALL=C). */
const AUTH_FAILURE =
  /Authentication failed|could not read (Username|Password)|terminal prompts disabled|requested URL returned error: 40[13]|HTTP 40[13]|401 Unauthorized|403 Forbidden/i;

/** Where and what, for the message; `url` must already be free of credentials. */
export interface RemoteContext {
  operation: string;
  url: string;
  secrets: readonly string[];
}

/** True when an HTTP status means the credentials were refused. */
export function isAuthStatus(status: number): boolean {
  return status === 401 || status === 403;
}

/** Turn any failure of a remote operation into GitAuthError (stalling) or GitFetchError (transient). */
export function toRemoteError(error: unknown, context: RemoteContext): GitError {
  if (error instanceof GitAuthError || error instanceof GitFetchError) return error;
  const { operation, url, secrets } = context;
  const detail = scrubSecrets(describe(error), secrets);
  const data: Record<string, unknown> = { operation, url };
  if (error instanceof GitCommandError) Object.assign(data, error.data);
  const status = httpStatus(error);
  if (status !== null) data["status"] = status;
  const isAuth = (status !== null && isAuthStatus(status)) || AUTH_FAILURE.test(detail);
  if (isAuth) {
    return new GitAuthError(`${operation} ${url}: the server refused the credentials (${detail})`, data);
  }
  return new GitFetchError(`${operation} ${url} failed: ${detail}`, data);
}

function describe(error: unknown): string {
  if (error instanceof GitCommandError) {
    const stderr = error.data["stderr"];
    return typeof stderr === "string" && stderr !== "" ? stderr : error.message;
  }
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : "";
    return `${error.message}${cause}`;
  }
  return String(error);
}

/** The HTTP status of an isomorphic-git HttpError (`data.statusCode`), if that is what it is. */
function httpStatus(error: unknown): number | null {
  if (typeof error !== "object" || error === null) return null;
  const data = (error as { data?: unknown }).data;
  if (typeof data !== "object" || data === null) return null;
  const status = (data as { statusCode?: unknown }).statusCode;
  return typeof status === "number" ? status : null;
}
