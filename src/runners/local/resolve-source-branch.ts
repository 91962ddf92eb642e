/**
 * Resolving a layer's branch for `configurations/<name>.json` (the controller pins branches when a
 * configuration changes) through the layer's source: `git ls-remote` with the source's credentials
 * and CA, read where the local runner reads them, so a credentialed source's branch is pinned too.
 */
import { credentialSecrets } from "../../git/credentials.js";
import { resolveBranchCommit } from "../../git/resolve-branch.js";
import type { BranchRef } from "../../plan/index.js";
import { sourceGitStepEnv } from "../steps/index.js";
import { readSourceAccess, type SourceDirs } from "./source-access.js";

/**
 * A branch resolver: through the ref's source when it has one, else as the controller's default
 * (`git ls-remote`, no credentials). Rejects (the controller tries again later) when the source's
 * credentials cannot be read; the message names the files, never their content.
 */
export function sourceBranchResolver(dirs: SourceDirs): (ref: BranchRef) => Promise<string | null> {
  return async (ref) => {
    if (ref.source === undefined) return resolveBranchCommit({ url: ref.url, branch: ref.branch });
    const access = await readSourceAccess(dirs, ref.source);
    if (!access.ok) throw new Error(access.reason);
    const env = sourceGitStepEnv({
      base: {},
      url: ref.url,
      credentials: access.credentials,
      caFile: access.caFile,
    });
    return resolveBranchCommit({
      url: ref.url,
      branch: ref.branch,
      env,
      secrets: credentialSecrets(access.credentials),
    });
  };
}
