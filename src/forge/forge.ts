/**
 * What cfs-gitops asks of a forge (Gitea, GitHub, GitLab): commit statuses, one comment per pull
 * request kept up to date, and the facts of a pull request. One interface, one implementation per
 * forge, each a thin mapping onto that forge's REST API.
 */

/** The forges cfs-gitops talks to. */
export type ForgeKind = "gitea" | "github" | "gitlab";

/** Every forge kind, for flags and messages. */
export const FORGE_KINDS: readonly ForgeKind[] = ["gitea", "github", "gitlab"];

/** A commit status state, in the words GitHub and Gitea use (GitLab's `failed` is mapped). */
export type CommitState = "pending" | "success" | "failure" | "error";

/** One commit status to set. */
export interface CommitStatus {
  sha: string;
  /** The status's name (`cfs-gitops/validate`); one status per context and commit. */
  context: string;
  state: CommitState;
  /** One line; forges cut it (GitHub at 140 characters): see `statusDescription`. */
  description: string;
  targetUrl?: string;
}

/** What a pull request (a GitLab merge request) is. */
export interface PullRequestInfo {
  number: number;
  /** The head commit. */
  headSha: string;
  /** The branch it merges into. */
  base: string;
  /** The branch it brings (a name, for messages). */
  headBranch: string;
  /** The ref the forge keeps the head at in the base repository (`refs/pull/7/head`). */
  headRef: string;
  /** Paths the pull request changes (both sides of a rename). */
  changedFiles: string[];
}

/** A comment on a pull request. */
export interface ForgeComment {
  id: number;
  body: string;
}

/** The operations, one REST call (or a few, for pagination) each. */
export interface Forge {
  readonly kind: ForgeKind;
  /** Sets the status `context` of commit `sha`. */
  setCommitStatus(status: CommitStatus): Promise<void>;
  /**
   * Makes the pull request carry exactly one comment with `marker` (a hidden HTML comment in its
   * body): edits the one found, or creates it. Returns the comment's id.
   */
  upsertComment(input: { pr: number; marker: string; body: string }): Promise<number>;
  /** The pull request `n`: head, base and changed files. */
  getPullRequest(n: number): Promise<PullRequestInfo>;
}

/** Longest description every forge keeps whole (GitHub's limit). */
export const MAX_STATUS_DESCRIPTION = 140;

/** A one-line description of at most MAX_STATUS_DESCRIPTION characters, cut with an ellipsis. */
export function statusDescription(text: string): string {
  const line = text.replace(/\s+/g, " ").trim();
  return line.length <= MAX_STATUS_DESCRIPTION ? line : `${line.slice(0, MAX_STATUS_DESCRIPTION - 1)}…`;
}

/** The hidden line that marks our comment (`<!-- cfs-gitops:pr-preview -->`). */
export function commentMarker(marker: string): string {
  return `<!-- cfs-gitops:${marker} -->`;
}

/** `body` with the marker as its first line. */
export function markedBody(marker: string, body: string): string {
  return `${commentMarker(marker)}\n${body}`;
}

/** The first comment carrying `marker`, or undefined. */
export function findMarkedComment(
  comments: readonly ForgeComment[],
  marker: string,
): ForgeComment | undefined {
  const line = commentMarker(marker);
  return comments.find((comment) => comment.body.includes(line));
}
