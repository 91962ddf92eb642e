/**
 * The one way this room runs the `git` CLI: an argv array (never a shell), a clean environment,
 * a timeout and an AbortSignal, and failures mapped to typed errors whose text is scrubbed.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { GitCommandError } from "./errors.js";
import { scrubSecrets } from "./scrub-secrets.js";

/** Default limit for one git command; fetches and pushes of big histories may pass more. */
export const DEFAULT_GIT_TIMEOUT_MS = 5 * 60_000;
/** How long a process gets after SIGTERM (to remove its lock files) before SIGKILL. */
const KILL_GRACE_MS = 5_000;
/** Most stderr kept in an error. */
const MAX_STDERR_CHARS = 4_000;

/** Variables that would point git at another repository or inject config: never inherited. */
const BLOCKED_ENV =
  /^GIT_(DIR|WORK_TREE|INDEX_FILE|OBJECT_DIRECTORY|ALTERNATE_OBJECT_DIRECTORIES|COMMON_DIR|NAMESPACE|PREFIX|CONFIG_PARAMETERS|CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_VALUE_\d+|QUARANTINE_PATH|AUTHOR_\w+|COMMITTER_\w+)$/;

/** How to start a git process. */
export interface SpawnGitOptions {
  /** Arguments after `git` (and after `--git-dir` when `gitDir` is given). */
  args: readonly string[];
  /** Repository to run in: passed as `--git-dir`. */
  gitDir?: string;
  cwd?: string;
  /** Added to the cleaned environment (credentials travel here, never in argv). */
  env?: Readonly<Record<string, string>>;
}

/** How to run one git command to completion. */
export interface RunGitOptions extends SpawnGitOptions {
  stdin?: string | Buffer | readonly (string | Buffer)[];
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Strings to mask in error messages (passwords, tokens). */
  secrets?: readonly string[];
  /** Exit codes that are answers rather than failures (`rev-parse --verify --quiet` exits 1). */
  okExitCodes?: readonly number[];
  /**
   * Takes stdout chunk by chunk as it comes; the output's `stdout` is then empty. For a listing of
   * 35 MB, read whole and joined, that was 70 MB of process memory held at once.
   */
  onStdout?: (chunk: Buffer) => void;
}

/** What a finished git command printed. */
export interface GitOutput {
  stdout: Buffer;
  stderr: string;
  exitCode: number;
}

/** The environment every git child gets: inherited minus repository overrides, never prompting. */
export function gitEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!BLOCKED_ENV.test(key)) env[key] = value;
  }
  return {
    ...env,
    GIT_TERMINAL_PROMPT: "0",
    GIT_ASKPASS: "",
    SSH_ASKPASS: "",
    GCM_INTERACTIVE: "never",
    LC_ALL: "C",
    LANGUAGE: "C",
    ...extra,
  };
}

/** The argv after `git`. */
export function gitArgv(options: Pick<SpawnGitOptions, "args" | "gitDir">): string[] {
  return options.gitDir === undefined ? [...options.args] : [`--git-dir=${options.gitDir}`, ...options.args];
}

/** Start a long-lived git process (cat-file, fast-import) with piped stdio. */
export function spawnGit(options: SpawnGitOptions): ChildProcess {
  return spawn("git", gitArgv(options), {
    cwd: options.cwd,
    env: gitEnv(options.env),
    stdio: ["pipe", "pipe", "pipe"],
    windowsHide: true,
  });
}

/** Run git to completion; resolves with its output, rejects with a scrubbed `GitCommandError`. */
export function runGit(options: RunGitOptions): Promise<GitOutput> {
  return new Promise((resolve, reject) => {
    const run = new GitRun(options, resolve, reject);
    run.start();
  });
}

/** One running command: collects output and enforces the timeout and the abort signal. */
class GitRun {
  private readonly stdout: Buffer[] = [];
  private readonly stderr: Buffer[] = [];
  private child: ChildProcess | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopReason: "timeout" | "aborted" | null = null;
  private settled = false;

  constructor(
    private readonly options: RunGitOptions,
    private readonly resolve: (output: GitOutput) => void,
    private readonly reject: (error: Error) => void,
  ) {}

  start(): void {
    const { signal } = this.options;
    if (signal?.aborted) {
      this.fail("aborted before it started", { aborted: true });
      return;
    }
    const child = spawnGit(this.options);
    this.child = child;
    const onStdout = this.options.onStdout ?? ((chunk: Buffer) => this.stdout.push(chunk));
    child.stdout?.on("data", onStdout);
    child.stderr?.on("data", (chunk: Buffer) => this.stderr.push(chunk));
    child.on("error", (error) => this.fail(`could not start: ${error.message}`, { spawnError: true }));
    child.on("close", (code, signalName) => this.finish(code, signalName));
    // A stopped git may leave a grandchild (remote helper, alias) holding the pipes open:
    // do not wait for them once git itself is gone.
    child.on("exit", (code, signalName) => {
      if (this.stopReason === null) return;
      child.stdout?.destroy();
      child.stderr?.destroy();
      this.finish(code, signalName);
    });
    this.timer = setTimeout(() => this.stop("timeout"), this.options.timeoutMs ?? DEFAULT_GIT_TIMEOUT_MS);
    signal?.addEventListener("abort", this.onAbort, { once: true });
    this.writeStdin(child);
  }

  private readonly onAbort = (): void => this.stop("aborted");

  private writeStdin(child: ChildProcess): void {
    const stdin = child.stdin;
    if (!stdin) return;
    stdin.on("error", () => undefined); // EPIPE when git exits early: its exit code tells the story
    const input = this.options.stdin;
    const chunks =
      input === undefined ? [] : typeof input === "string" || Buffer.isBuffer(input) ? [input] : input;
    for (const chunk of chunks) stdin.write(chunk);
    stdin.end();
  }

  private stop(reason: "timeout" | "aborted"): void {
    if (this.settled || !this.child) return;
    this.stopReason = reason;
    const child = this.child;
    child.kill("SIGTERM");
    setTimeout(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }, KILL_GRACE_MS).unref();
  }

  private finish(code: number | null, signalName: NodeJS.Signals | null): void {
    if (this.settled) return;
    const exitCode = code ?? -1;
    const stderr = Buffer.concat(this.stderr).toString("utf8");
    if (this.stopReason) {
      const detail = this.stopReason === "timeout" ? "timed out" : "was aborted";
      this.fail(detail, {
        timedOut: this.stopReason === "timeout",
        aborted: this.stopReason === "aborted",
        stderr,
      });
      return;
    }
    const ok = exitCode === 0 || (this.options.okExitCodes ?? []).includes(exitCode);
    if (!ok) {
      this.fail(`failed (exit ${signalName ?? exitCode})`, { exitCode, stderr });
      return;
    }
    this.cleanup();
    this.resolve({ stdout: Buffer.concat(this.stdout), stderr, exitCode });
  }

  private fail(what: string, data: Record<string, unknown>): void {
    if (this.settled) return;
    this.cleanup();
    this.reject(
      gitCommandError({ args: this.options.args, what, data, secrets: this.options.secrets ?? [] }),
    );
  }

  private cleanup(): void {
    this.settled = true;
    if (this.timer) clearTimeout(this.timer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
  }
}

/** Build a scrubbed error: message `git <subcommand> <what>: <stderr>`, argv and stderr in `data`. */
export function gitCommandError(input: {
  args: readonly string[];
  what: string;
  data: Record<string, unknown>;
  secrets: readonly string[];
}): GitCommandError {
  const { args, what, data, secrets } = input;
  const rawStderr = typeof data["stderr"] === "string" ? data["stderr"] : "";
  const stderr = scrubSecrets(rawStderr.trim(), secrets).slice(-MAX_STDERR_CHARS);
  const subcommand = args.find((arg) => !arg.startsWith("-")) ?? "";
  const message = scrubSecrets(`git ${subcommand} ${what}${stderr ? `: ${stderr}` : ""}`, secrets);
  return new GitCommandError(message, {
    ...data,
    stderr,
    args: args.map((arg) => scrubSecrets(arg, secrets)),
  });
}
