/**
 * The `git-clone-<i>` and `git-clone-hosts` steps, shared by both runners: which git commands run
 * and what their results mean. The runner supplies how git runs (a local process, or the process of
 * a Job's container) and where the step's log goes.
 */
import type { AdditionalInventory, PlannedLayer } from "../../api/index.js";
import { redactUrl, scrubSecrets } from "../../git/scrub-secrets.js";
import { cloneFailureReason, gitErrorDetail } from "./reasons.js";
import { cloneStepName } from "./step-names.js";
import { HOSTS_DIR, layerDir } from "./work-layout.js";

/** How one git process ended, and what it printed. */
export interface GitRunResult {
  exitCode: number | null;
  signal: string | null;
  /** Set when git could not be started at all. */
  error: string | null;
  /** Its stdout, when the command asked for it to be captured. */
  stdout: string;
  /** What it wrote to the step's log. */
  output: string;
}

/** One git command of a clone step. */
export interface GitCommand {
  args: string[];
  /** Directory relative to the session's work directory; default: the work directory itself. */
  cwd?: string;
  /** Capture stdout (returned in `stdout`) instead of writing it to the log. */
  capture?: boolean;
}

/** What a clone step needs from its runner. Credentials live in the runner's git environment. */
export interface CloneIo {
  git(command: GitCommand): Promise<GitRunResult>;
  /** Append a line the step itself writes to its log. */
  note(text: string): Promise<void>;
}

/** How a clone step ended. */
export interface CloneOutcome {
  status: "succeeded" | "failed";
  exitCode: number | null;
  /** Why it failed, in plain words (credentials removed); null on success. */
  reason: string | null;
  /** The commit checked out: the layer's commit or its branch resolved; null when not known. */
  commit: string | null;
}

/** git never prompts for credentials and speaks English (its messages become reasons). */
export const GIT_SAFE_ENV: Readonly<Record<string, string>> = {
  GIT_TERMINAL_PROMPT: "0",
  GCM_INTERACTIVE: "never",
  LC_ALL: "C",
  LANGUAGE: "C",
};

/** A commit id as `git checkout` takes it (never an option). */
const COMMIT_ID = /^[0-9a-f]{4,64}$/i;

/** What to clone where. */
interface CloneTarget {
  step: string;
  url: string;
  /** Directory under the work directory. */
  dir: string;
  commit: string | null;
  branch: string | null;
}

/**
 * `git-clone-<i>`: resolve the layer's branch to a commit when it has no commit, then clone its
 * repository into `layer<i>/` at that commit. The outcome carries the commit, also on failure once
 * the branch resolved, so the session record shows what was tried.
 */
export async function cloneLayer(io: CloneIo, layer: PlannedLayer): Promise<CloneOutcome> {
  const step = cloneStepName(layer.index);
  let commit = layer.commit ?? null;
  if (commit === null && layer.branch !== undefined) {
    const resolved = await resolveBranch(io, { step, url: layer.clone_url, branch: layer.branch });
    if (typeof resolved !== "string") return resolved;
    commit = resolved;
  }
  if (commit === null) return failedClone(`${step}: the layer has neither a commit nor a branch`);
  const target = { step, url: layer.clone_url, dir: layerDir(layer.index), commit, branch: null };
  return { ...(await cloneInto(io, target)), commit };
}

/** `git-clone-hosts`: clone `additional_inventory` into `hosts/` at its commit, or its branch's tip. */
export function cloneHosts(io: CloneIo, inventory: AdditionalInventory): Promise<CloneOutcome> {
  return cloneInto(io, {
    step: "git-clone-hosts",
    url: inventory.clone_url,
    dir: HOSTS_DIR.replace(/\/$/, ""),
    commit: inventory.commit ?? null,
    branch: inventory.commit === undefined ? (inventory.branch ?? null) : null,
  });
}

/** The commit `refs/heads/<branch>` points at in `url`, or the failed outcome. */
async function resolveBranch(
  io: CloneIo,
  target: { step: string; url: string; branch: string },
): Promise<string | CloneOutcome> {
  const ref = `refs/heads/${target.branch}`;
  const exit = await io.git({ args: ["ls-remote", "--", target.url, ref], capture: true });
  if (exit.exitCode !== 0) return gitFailure(target, "resolve the branch of", exit);
  const commit = refCommit(exit.stdout, ref);
  if (commit === null) {
    return failedClone(
      scrubSecrets(`${target.step}: branch ${target.branch} was not found in ${target.url}`),
    );
  }
  await io.note(`branch ${target.branch} is at ${commit}`);
  return commit;
}

/** The commit of exactly `ref` in `git ls-remote` output (its patterns also match longer names). */
function refCommit(lsRemote: string, ref: string): string | null {
  for (const line of lsRemote.split("\n")) {
    const [commit, name] = line.split("\t");
    if (name === ref && commit !== undefined && /^[0-9a-f]{40,64}$/.test(commit)) return commit;
  }
  return null;
}

/** Clone `url` into `dir` and check out `commit` (or the branch, or the default branch). */
async function cloneInto(io: CloneIo, target: CloneTarget): Promise<CloneOutcome> {
  if (target.commit !== null && !COMMIT_ID.test(target.commit)) {
    return failedClone(`${target.step}: "${target.commit}" is not a commit id`);
  }
  const branch = target.branch === null ? [] : [`--branch=${target.branch}`];
  const noCheckout = target.commit === null ? [] : ["--no-checkout"];
  const cloned = await io.git({
    args: ["clone", "--quiet", ...noCheckout, ...branch, "--", target.url, target.dir],
  });
  if (cloned.exitCode !== 0) return gitFailure(target, "clone", cloned);
  if (target.commit !== null) {
    const args = ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", target.commit];
    const checkedOut = await io.git({ args, cwd: target.dir });
    if (checkedOut.exitCode !== 0) return gitFailure(target, `check out ${target.commit} of`, checkedOut);
  }
  const safeUrl = redactUrl(target.url);
  if (safeUrl !== target.url)
    await io.git({ args: ["remote", "set-url", "origin", safeUrl], cwd: target.dir });
  return { status: "succeeded", exitCode: 0, reason: null, commit: target.commit };
}

/** The failed outcome of a git command: `git-clone-0: could not clone <url>: <what git said>`. */
function gitFailure(target: { step: string; url: string }, action: string, exit: GitRunResult): CloneOutcome {
  const detail =
    exit.error !== null
      ? `could not run git: ${exit.error}`
      : exit.signal !== null
        ? `git was stopped by ${exit.signal}`
        : gitErrorDetail(exit.output);
  return failedClone(
    cloneFailureReason({ step: target.step, url: target.url, action, detail }),
    exit.exitCode,
  );
}

function failedClone(reason: string, exitCode: number | null = null): CloneOutcome {
  return { status: "failed", exitCode, reason, commit: null };
}
