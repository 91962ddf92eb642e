/** The `git-clone-<i>` and `git-clone-hosts` steps: real `git`, output in the step's log. */
import { join } from "node:path";
import type { AdditionalInventory, PlannedLayer } from "../../api/index.js";
import { redactUrl, scrubSecrets } from "../../git/scrub-secrets.js";
import {
  HOSTS_DIR,
  cloneFailureReason,
  cloneStepName,
  gitErrorDetail,
  layerDir,
  updateLayer,
} from "../steps/index.js";
import {
  failLayer,
  failedStep,
  succeededStep,
  type LocalRun,
  type StepContext,
  type StepResult,
} from "./local-run.js";
import { appendStepLog, runStepProcess, type StepProcessExit } from "./step-process.js";

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
 * `git-clone-<i>`: resolve the layer's branch to a commit (recorded in the layer's status) when it
 * has no commit, then clone its repository into `layer<i>/` at that commit.
 */
export async function cloneLayerStep(
  run: LocalRun,
  ctx: StepContext,
  layer: PlannedLayer,
): Promise<StepResult> {
  const step = cloneStepName(layer.index);
  let commit = layer.commit ?? null;
  if (commit === null && layer.branch !== undefined) {
    const resolved = await resolveBranch(run, ctx, { step, url: layer.clone_url, branch: layer.branch });
    if (typeof resolved !== "string") return failLayer(run, ctx, layer, resolved);
    commit = resolved;
    await ctx.save(
      run,
      updateLayer(run.obs, layer.index, (status) => ({ ...status, commit: resolved })),
    );
  }
  if (commit === null)
    return failLayer(run, ctx, layer, failedStep(`${step}: the layer has neither a commit nor a branch`));
  const result = await cloneInto(run, ctx, {
    step,
    url: layer.clone_url,
    dir: layerDir(layer.index),
    commit,
    branch: null,
  });
  return result.status === "failed" ? failLayer(run, ctx, layer, result) : result;
}

/** `git-clone-hosts`: clone `additional_inventory` into `hosts/` at its commit, or its branch's tip. */
export async function cloneHostsStep(
  run: LocalRun,
  ctx: StepContext,
  inventory: AdditionalInventory,
): Promise<StepResult> {
  return cloneInto(run, ctx, {
    step: "git-clone-hosts",
    url: inventory.clone_url,
    dir: HOSTS_DIR.replace(/\/$/, ""),
    commit: inventory.commit ?? null,
    branch: inventory.commit === undefined ? (inventory.branch ?? null) : null,
  });
}

/** The commit `refs/heads/<branch>` points at in `url`, or the failed step result. */
async function resolveBranch(
  run: LocalRun,
  ctx: StepContext,
  target: { step: string; url: string; branch: string },
): Promise<string | StepResult> {
  const exit = await git(run, ctx, {
    step: target.step,
    args: ["ls-remote", "--", target.url, `refs/heads/${target.branch}`],
    capture: true,
  });
  if (exit.exitCode !== 0) return gitFailure(target, "resolve the branch of", exit);
  const commit = refCommit(exit.stdout, `refs/heads/${target.branch}`);
  if (commit === null) {
    return failedStep(scrubSecrets(`${target.step}: branch ${target.branch} was not found in ${target.url}`));
  }
  await appendStepLog(run, target.step, `branch ${target.branch} is at ${commit}`);
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
async function cloneInto(run: LocalRun, ctx: StepContext, target: CloneTarget): Promise<StepResult> {
  if (target.commit !== null && !COMMIT_ID.test(target.commit)) {
    return failedStep(`${target.step}: "${target.commit}" is not a commit id`);
  }
  const branch = target.branch === null ? [] : [`--branch=${target.branch}`];
  const noCheckout = target.commit === null ? [] : ["--no-checkout"];
  const cloned = await git(run, ctx, {
    step: target.step,
    args: ["clone", "--quiet", ...noCheckout, ...branch, "--", target.url, target.dir],
  });
  if (cloned.exitCode !== 0) return gitFailure(target, "clone", cloned);
  const dir = join(run.paths.work, target.dir);
  if (target.commit !== null) {
    const args = ["-c", "advice.detachedHead=false", "checkout", "--quiet", "--detach", target.commit];
    const checkedOut = await git(run, ctx, { step: target.step, args, cwd: dir });
    if (checkedOut.exitCode !== 0) return gitFailure(target, `check out ${target.commit} of`, checkedOut);
  }
  const safeUrl = redactUrl(target.url);
  if (safeUrl !== target.url)
    await git(run, ctx, { step: target.step, args: ["remote", "set-url", "origin", safeUrl], cwd: dir });
  return succeededStep(0);
}

async function git(
  run: LocalRun,
  ctx: StepContext,
  options: { step: string; args: string[]; cwd?: string; capture?: boolean },
): Promise<StepProcessExit> {
  return runStepProcess(run, ctx, {
    step: options.step,
    command: ctx.git.command,
    args: options.args,
    cwd: options.cwd ?? run.paths.work,
    env: ctx.git.env,
    captureStdout: options.capture === true,
  });
}

/** The failed result of a git command: `git-clone-0: could not clone <url>: <what git said>`. */
function gitFailure(
  target: { step: string; url: string },
  action: string,
  exit: StepProcessExit,
): StepResult {
  const detail =
    exit.error !== null
      ? `could not run git: ${exit.error}`
      : exit.signal !== null
        ? `git was stopped by ${exit.signal}`
        : gitErrorDetail(exit.output);
  return failedStep(
    cloneFailureReason({ step: target.step, url: target.url, action, detail }),
    exit.exitCode,
  );
}
