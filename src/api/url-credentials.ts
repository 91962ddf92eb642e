/**
 * Credentials written in a clone URL (`https://user:password@host/...`, a token as the user name)
 * never reach a record: every clone URL a record carries goes through `withoutUrlCredentials`.
 * The run still clones from the URL as written; credentials belong in `--git-credentials-file`.
 */

/** `scheme://userinfo@`: the scheme and the userinfo of a URL (a userinfo holds no `/`). */
const USERINFO = /^([a-z][a-z0-9+.-]*:\/\/)([^/?#@]*)@/i;
/** Schemes where a user name alone is no secret (`ssh://git@host/...`). */
const SSH_SCHEMES = new Set(["ssh://", "git+ssh://", "ssh+git://"]);
/** What stands for the credentials removed (as in error messages: `https://***@host/...`). */
export const URL_CREDENTIALS_MASK = "***";

/**
 * The URL with its credentials masked: the whole userinfo (`https://***@host/x.git`), except the
 * plain user name of an ssh URL (`ssh://git@host/x.git`), whose password only is masked. Anything
 * else (an scp-like `git@host:x.git`, a path) comes back unchanged.
 */
export function withoutUrlCredentials(url: string): string {
  const match = USERINFO.exec(url);
  if (match === null) return url;
  const scheme = match[1] ?? "";
  return `${scheme}${maskedUserinfo(scheme, match[2] ?? "")}@${url.slice(match[0].length)}`;
}

function maskedUserinfo(scheme: string, userinfo: string): string {
  if (!SSH_SCHEMES.has(scheme.toLowerCase())) return URL_CREDENTIALS_MASK;
  const colon = userinfo.indexOf(":");
  return colon < 0 ? userinfo : `${userinfo.slice(0, colon)}:${URL_CREDENTIALS_MASK}`;
}

/** An object with its `clone_url` passed through `withoutUrlCredentials` (the same object when clean). */
export function withCleanCloneUrl<T extends { clone_url: string }>(value: T): T {
  const clean = withoutUrlCredentials(value.clone_url);
  return clean === value.clone_url ? value : { ...value, clone_url: clean };
}
