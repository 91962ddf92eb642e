/**
 * The check of a pull request: if it touches manifests (`sessions/`, `configurations/`,
 * `components/`, `sources/`, `cfs.yaml`), the `diff --pr` preview of merging its head into the
 * watched branch becomes a commit status on the head (`cfs-gitops/validate`: success, or failure
 * with the first problems) and one comment, edited in place on each push. Shared by the
 * controller's pull request webhook and `cfs-gitops pr-check`.
 */
import type { Forge, PullRequestInfo } from "../forge/index.js";
import { statusDescription, type CommitState } from "../forge/index.js";
import { previewRange } from "./commands/diff.js";
import { previewMarkdown, type Preview } from "./diff-preview.js";
import type { RepoContext } from "./repo-options.js";
import { resolveRevision } from "./revisions.js";

/** The context of the validation status. */
export const VALIDATE_CONTEXT = "cfs-gitops/validate";

/** The marker of the preview comment. */
export const PREVIEW_MARKER = "pr-preview";

/** Longest preview comment posted: GitHub refuses bodies over 65,536 characters. */
export const MAX_COMMENT_CHARS = 60_000;

/** Paths whose change a pull request check looks at. */
const MANIFEST_PREFIXES = ["sessions/", "configurations/", "components/", "sources/"];

/** True when a pull request changing `files` can change what the controller does. */
export function touchesManifests(files: readonly string[]): boolean {
  return files.some(
    (path) => path === "cfs.yaml" || MANIFEST_PREFIXES.some((prefix) => path.startsWith(prefix)),
  );
}

/** A check's outcome: what to post, or why nothing is posted. */
export type PrCheck =
  | { posted: false; pr: number; why: string }
  | {
      posted: true;
      pr: number;
      /** The commit the preview was made from (the head, as the forge's ref had it). */
      sha: string;
      state: CommitState;
      description: string;
      comment: string;
      preview: Preview;
    };

/** The state and one-line description of a preview. */
export function validateStatus(preview: Preview): { state: CommitState; description: string } {
  if (preview.conflicts.length > 0)
    return {
      state: "failure",
      description: statusDescription(`does not merge cleanly: ${preview.conflicts.join(", ")}`),
    };
  if (preview.problems.length > 0) {
    const first = preview.problems
      .slice(0, 3)
      .map((p) => `${p.path}:${p.error.line}: ${p.error.message}`)
      .join("; ");
    const count = preview.problems.length;
    return {
      state: "failure",
      description: statusDescription(`${count} problem${count === 1 ? "" : "s"}: ${first}`),
    };
  }
  const created = preview.created.length;
  const text = `valid: creates ${created} session${created === 1 ? "" : "s"}, deletes ${preview.deleted.length}`;
  return { state: "success", description: statusDescription(text) };
}

/** Works out the check of pull request `pr` (fetching its head into the repository's cache). */
export async function checkPullRequest(input: {
  forge: Forge;
  context: RepoContext;
  pr: number;
}): Promise<PrCheck> {
  const { forge, context, pr } = input;
  const info = await forge.getPullRequest(pr);
  if (info.base !== context.config.branch)
    return {
      posted: false,
      pr,
      why: `it merges into ${info.base}, not the watched branch ${context.config.branch}`,
    };
  if (!touchesManifests(info.changedFiles))
    return {
      posted: false,
      pr,
      why: "it changes no manifest (sessions/, configurations/, components/, sources/, cfs.yaml)",
    };
  const sha = await resolveRevision(context, headRevision(context, info));
  const preview = await previewRange(context, { base: info.base, head: sha });
  const comment = capComment(previewMarkdown({ preview, base: info.base, head: info.headBranch }));
  return { posted: true, pr, sha, ...validateStatus(preview), comment, preview };
}

/** The preview cut at a line to MAX_COMMENT_CHARS, saying so and where the rest is. */
export function capComment(text: string): string {
  if (text.length <= MAX_COMMENT_CHARS) return text;
  const cut = text.lastIndexOf("\n", MAX_COMMENT_CHARS - 200);
  const note =
    "\n\n_The preview is cut here (too long for a comment): run `cfs-gitops diff --pr` for all of it._\n";
  return `${text.slice(0, cut)}${note}`;
}

/** The forge's ref of the head for a remote (it may be another repository's branch); the head commit in a local checkout. */
function headRevision(context: RepoContext, info: PullRequestInfo): string {
  return context.config.kind === "remote" ? info.headRef : info.headSha;
}

/** The two forge calls of a check: the status, then the comment. */
export function prCheckCalls(
  forge: Forge,
  check: Extract<PrCheck, { posted: true }>,
): { key: string; what: string; run: () => Promise<void> }[] {
  return [
    {
      key: `status ${check.sha} ${VALIDATE_CONTEXT}`,
      what: `${VALIDATE_CONTEXT} ${check.state} on ${check.sha.slice(0, 12)}`,
      run: () =>
        forge.setCommitStatus({
          sha: check.sha,
          context: VALIDATE_CONTEXT,
          state: check.state,
          description: check.description,
        }),
    },
    {
      key: `comment ${check.pr} ${PREVIEW_MARKER}`,
      what: `preview comment on pull request ${check.pr}`,
      run: async () => {
        await forge.upsertComment({ pr: check.pr, marker: PREVIEW_MARKER, body: check.comment });
      },
    },
  ];
}
