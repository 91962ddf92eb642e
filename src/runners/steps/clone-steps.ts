/**
 * The `git-clone-<i>` and `git-clone-hosts` steps, shared by both runners: which git commands run
 * and what their results mean. The runner supplies how git runs (a local process, or the process of
 * a Job's container) and where the step's log goes.
 */
import type { AdditionalInventory, PlannedLayer, WithCloneUrl } from "../../api/index.js";
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

/**
 * How often the network commands of a clone step (`ls-remote`, `clone`) are tried when they fail
 * in a way that can pass (the git server restarting, a connection refused or reset, HTTP 5xx), and
 * how long to wait between tries: `delayMs`, doubled after each try up to `maxDelayMs`.
 */
export interface CloneRetry {
  /** Tries in all, the first included (CFS: GIT_RETRY_MAX). */
  attempts: number;
  /** Wait after the first failed try (CFS: GIT_RETRY_DELAY). */
  delayMs: number;
  /** Longest wait between two tries. */
  maxDelayMs: number;
}

/** CFS's clone retries: 60 tries, 10 s apart (the operator's CFS_GIT_RETRY_MAX and CFS_GIT_RETRY_DELAY). */
export const DEFAULT_CLONE_RETRY: Readonly<CloneRetry> = {
  attempts: 60,
  delayMs: 10_000,
  maxDelayMs: 10_000,
};

/**
 * The clone retries a step container is given in its environment, named as in CFS's clone
 * container: `GIT_RETRY_MAX` (tries in all) and `GIT_RETRY_DELAY` (seconds between tries; a
 * fraction, such as the `0.5` of CFS_GITOPS_GIT_RETRY_DELAY=0.5, is kept). A missing or malformed
 * value keeps the CFS default.
 */
export function cloneRetryFromEnv(env: Readonly<Record<string, string | undefined>>): CloneRetry {
  const attempts = number(env["GIT_RETRY_MAX"], { min: 1, pattern: /^[0-9]+$/ });
  const delaySeconds = number(env["GIT_RETRY_DELAY"], { min: 0, pattern: /^[0-9]+(\.[0-9]+)?$/ });
  const delayMs = delaySeconds === null ? DEFAULT_CLONE_RETRY.delayMs : Math.round(delaySeconds * 1000);
  return { attempts: attempts ?? DEFAULT_CLONE_RETRY.attempts, delayMs, maxDelayMs: delayMs };
}

function number(text: string | undefined, rule: { min: number; pattern: RegExp }): number | null {
  if (text === undefined || !rule.pattern.test(text.trim())) return null;
  const value = Number(text.trim());
  return value >= rule.min ? value : null;
}

/** What a clone step needs from its runner. Credentials live in the runner's git environment. */
export interface CloneIo {
  git(command: GitCommand): Promise<GitRunResult>;
  /** Append a line the step itself writes to its log. */
  note(text: string): Promise<void>;
  /** Retries of the network commands; absent: each is tried once. */
  retry?: CloneRetry;
  /** Waits between tries (injected so tests control time); required with `retry`. */
  sleep?: (ms: number) => Promise<void>;
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
 * `git-clone-<i>`: resolve the layer's branch (or, with neither, the default branch) to a commit
 * when it has no commit (a commit wins over a branch, as in CFS), then clone its repository into
 * `layer<i>/` at that commit. The outcome carries the commit, also on failure once
 * the branch resolved, so the session record shows what was tried.
 */
export async function cloneLayer(io: CloneIo, layer: PlannedLayer): Promise<CloneOutcome> {
  const step = cloneStepName(layer.index);
  let commit = layer.commit ?? null;
  if (commit === null) {
    // A branch, else the repository's default branch (HEAD), as a CFS clone without a commit uses.
    const resolved = await resolveBranch(io, { step, url: layer.clone_url, branch: layer.branch ?? null });
    if (typeof resolved !== "string") return resolved;
    commit = resolved;
  }
  const target = { step, url: layer.clone_url, dir: layerDir(layer.index), commit, branch: null };
  return { ...(await cloneInto(io, target)), commit };
}

/** `git-clone-hosts`: clone `additional_inventory` into `hosts/` at its commit, or its branch's tip. */
export function cloneHosts(io: CloneIo, inventory: WithCloneUrl<AdditionalInventory>): Promise<CloneOutcome> {
  return cloneInto(io, {
    step: "git-clone-hosts",
    url: inventory.clone_url,
    dir: HOSTS_DIR.replace(/\/$/, ""),
    commit: inventory.commit ?? null,
    branch: inventory.commit === undefined ? (inventory.branch ?? null) : null,
  });
}

/** The commit `refs/heads/<branch>` (or, for null, `HEAD`) points at in `url`, or the failed outcome. */
async function resolveBranch(
  io: CloneIo,
  target: { step: string; url: string; branch: string | null },
): Promise<string | CloneOutcome> {
  const ref = target.branch === null ? "HEAD" : `refs/heads/${target.branch}`;
  const exit = await gitWithRetries(io, {
    ...target,
    args: ["ls-remote", "--", target.url, ref],
    capture: true,
  });
  if (exit.exitCode !== 0) return gitFailure(target, "resolve the branch of", exit);
  const commit = refCommit(exit.stdout, ref);
  const what = target.branch === null ? "the default branch (HEAD)" : `branch ${target.branch}`;
  if (commit === null)
    return failedClone(scrubSecrets(`${target.step}: ${what} was not found in ${target.url}`));
  await io.note(`${what} is at ${commit}`);
  return commit;
}

/** What git prints when a try can pass on its own: the server restarting or unreachable for now. */
const TRANSIENT_GIT_OUTPUT =
  /Could not resolve host|Connection refused|Failed to connect|Connection timed out|Operation timed out|Connection reset|timed out after|returned error: 5\d\d|RPC failed|early EOF|unexpected disconnect|remote end hung up|Empty reply from server|TLS connection was non-properly terminated|gnutls_handshake|SSL_ERROR_SYSCALL|HTTP\/2 stream \d+ was not closed cleanly/i;

/** True when a failed git command may succeed if tried again (see TRANSIENT_GIT_OUTPUT). */
export function isTransientGitFailure(exit: GitRunResult): boolean {
  if (exit.exitCode === 0 || exit.error !== null || exit.signal !== null) return false;
  return TRANSIENT_GIT_OUTPUT.test(exit.output);
}

/**
 * Runs a network git command, trying again after a transient failure as `io.retry` says; the note
 * in the step's log names the repository and the try. A lasting failure (no such repository,
 * wrong credentials) is not tried again. The result of the last try is returned, with the number
 * of tries made.
 */
async function gitWithRetries(
  io: CloneIo,
  command: GitCommand & { step: string; url: string },
): Promise<GitRunResult & { attempts: number }> {
  const retry = io.retry ?? { attempts: 1, delayMs: 0, maxDelayMs: 0 };
  let delay = retry.delayMs;
  let attempt = 1;
  for (;;) {
    const exit = await io.git({ args: command.args, ...(command.capture === true ? { capture: true } : {}) });
    if (attempt >= retry.attempts || !isTransientGitFailure(exit)) return withTries(exit, attempt);
    await io.note(
      scrubSecrets(
        `${command.step}: try ${attempt} of ${retry.attempts} for ${command.url} failed; trying again in ${delay / 1000} s`,
      ),
    );
    await (io.sleep ?? noSleep)(delay);
    delay = Math.min(retry.maxDelayMs, delay * 2);
    attempt += 1;
  }
}

function withTries(exit: GitRunResult, attempts: number): GitRunResult & { attempts: number } {
  return { ...exit, attempts };
}

async function noSleep(): Promise<void> {}

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
  const cloned = await gitWithRetries(io, {
    step: target.step,
    url: target.url,
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
function gitFailure(
  target: { step: string; url: string },
  action: string,
  exit: GitRunResult & { attempts?: number },
): CloneOutcome {
  const tries =
    exit.attempts !== undefined && exit.attempts > 1 ? ` (gave up after ${exit.attempts} tries)` : "";
  const detail =
    (exit.error !== null
      ? `could not run git: ${exit.error}`
      : exit.signal !== null
        ? `git was stopped by ${exit.signal}`
        : gitErrorDetail(exit.output)) + tries;
  return failedClone(
    cloneFailureReason({ step: target.step, url: target.url, action, detail }),
    exit.exitCode,
  );
}

function failedClone(reason: string, exitCode: number | null = null): CloneOutcome {
  return { status: "failed", exitCode, reason, commit: null };
}
