/** Credentials for a remote over http(s), and the only ways they leave this process. */

/** HTTP basic credentials; a token goes in `password` (any username the server accepts). */
export interface Credentials {
  username: string;
  password: string;
}

/** `Basic base64(username:password)`: the value of an Authorization header. */
export function basicAuthValue(credentials: Credentials): string {
  const raw = `${credentials.username}:${credentials.password}`;
  return `Basic ${Buffer.from(raw, "utf8").toString("base64")}`;
}

/** Every form in which the credentials could show up in text: what `scrubSecrets` must mask. */
export function credentialSecrets(credentials: Credentials | null | undefined): string[] {
  if (!credentials) return [];
  const pair = `${credentials.username}:${credentials.password}`;
  return [
    credentials.password,
    pair,
    Buffer.from(pair, "utf8").toString("base64"),
    `${encodeURIComponent(credentials.username)}:${encodeURIComponent(credentials.password)}`,
  ].filter((secret) => secret.length > 0 && secret !== ":");
}

/**
 * Environment for a `git` child that talks to the remote: the Authorization header goes in through
 * `GIT_CONFIG_*` (never argv, never the URL), credential helpers are switched off so only these
 * credentials are ever used, and nothing can prompt. With `url`, the header is scoped to it
 * (`http.<url>.extraHeader`), so a redirect to another host does not receive it.
 */
export function credentialEnv(
  credentials: Credentials | null | undefined,
  url?: string,
): Record<string, string> {
  const config: Array<[string, string]> = [["credential.helper", ""]];
  const key = url === undefined || /[\n\0]/.test(url) ? "http.extraHeader" : `http.${url}.extraHeader`;
  if (credentials) config.push([key, `Authorization: ${basicAuthValue(credentials)}`]);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(config.length) };
  config.forEach(([name, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = name;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/** Split `https://user:pass@host/x` into a URL without userinfo and the credentials it carried. */
export function splitUrlCredentials(url: string): { url: string; credentials: Credentials | null } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { url, credentials: null };
  }
  if (parsed.username === "" && parsed.password === "") return { url, credentials: null };
  const credentials = {
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
  parsed.username = "";
  parsed.password = "";
  return { url: parsed.toString(), credentials };
}
