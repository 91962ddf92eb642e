/** Git look-ups of the configuration commands: when a manifest last changed, and a branch's commit on a layer's remote. */
import { credentialEnv, credentialSecrets, type Credentials } from "../git/credentials.js";
import { toRemoteError } from "../git/remote-errors.js";
import { runGit } from "../git/run-git.js";
import { redactUrl } from "../git/scrub-secrets.js";
import { formatTime } from "../plan/duration.js";
import { CliError } from "./errors.js";

/** The committer time (UTC, CFS's `%Y-%m-%dT%H:%M:%SZ`) of the last commit that touched each path. */
export async function lastUpdated(input: {
  gitDir: string;
  tip: string;
  paths: readonly string[];
}): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (input.paths.length === 0) return out;
  const { stdout } = await runGit({
    gitDir: input.gitDir,
    args: ["log", "--format=%x1e%ct", "--name-only", "--no-renames", input.tip, "--", ...input.paths],
  });
  for (const record of stdout.toString("utf8").split("\x1e")) {
    const [time = "", ...files] = record.split("\n").filter((line) => line.trim() !== "");
    const when = formatTime(new Date(Number(time) * 1000));
    for (const file of files) if (!out.has(file)) out.set(file, when);
  }
  return out;
}

/**
 * The commit `branch` points at in the repository `url` (`git ls-remote`). The configuration
 * repository's credentials are sent only to that same origin.
 */
export async function resolveBranch(input: {
  url: string;
  branch: string;
  credentials: Credentials | null;
  /** The configuration repository (credentials apply to its origin only). */
  repoUrl: string;
}): Promise<string> {
  const credentials = sameOrigin(input.url, input.repoUrl) ? input.credentials : null;
  const secrets = credentialSecrets(credentials);
  let stdout: Buffer;
  try {
    ({ stdout } = await runGit({
      args: ["ls-remote", "--refs", "--", input.url, `refs/heads/${input.branch}`],
      env: credentialEnv(credentials, input.url),
      secrets,
      timeoutMs: 60_000,
    }));
  } catch (error) {
    throw toRemoteError(error, { operation: "ls-remote", url: redactUrl(input.url), secrets });
  }
  const sha = stdout.toString("utf8").split(/\s/)[0] ?? "";
  if (!/^[0-9a-f]{40,64}$/.test(sha)) {
    throw new CliError(`branch ${input.branch} does not exist in ${redactUrl(input.url)}`);
  }
  return sha;
}

function sameOrigin(a: string, b: string): boolean {
  try {
    return new URL(a).origin === new URL(b).origin;
  } catch {
    return false;
  }
}
