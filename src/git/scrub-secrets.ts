/** Removes credentials from text before it reaches an error message or a log line. */

const MASK = "***";

/** `scheme://user:pass@host` -> `scheme://***@host`. */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi;
/** An Authorization header (or git's `http.extraHeader=Authorization: ...`) up to the end of the line. */
const AUTH_HEADER = /(authorization\s*[:=]\s*)[^\r\n]*/gi;
/** A bare `Basic <base64>` or `Bearer <token>` credential. */
const AUTH_SCHEME = /\b(Basic|Bearer|token)(\s+)[A-Za-z0-9+/._~-]{8,}=*/g;

/**
 * Replace every known secret (and its URL-encoded and base64 forms as given in `secrets`), every
 * URL userinfo and every Authorization header value in `text` with `***`.
 */
export function scrubSecrets(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_USERINFO, `$1${MASK}@`).replace(AUTH_HEADER, `$1${MASK}`);
  out = out.replace(AUTH_SCHEME, `$1$2${MASK}`);
  for (const secret of expandSecrets(secrets)) {
    out = out.split(secret).join(MASK);
  }
  return out;
}

/** The secrets and their URL-encoded forms, longest first so a longer secret is masked whole. */
function expandSecrets(secrets: readonly string[]): string[] {
  const all = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") continue;
    all.add(secret);
    all.add(encodeURIComponent(secret));
  }
  return [...all].sort((a, b) => b.length - a.length);
}

/** A URL with any `user:pass@` removed, safe to log; non-URLs (paths) come back unchanged. */
export function redactUrl(url: string): string {
  return url.replace(URL_USERINFO, "$1");
}
