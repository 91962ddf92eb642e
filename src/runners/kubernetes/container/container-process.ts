/**
 * Runs one program of a step container: its output goes to the container's log (this process's
 * stdout, which `kubectl logs` shows) and is kept, up to a tail, for the step to read its result from.
 */
import { spawn } from "node:child_process";
import { StringDecoder } from "node:string_decoder";
import { scrubSecrets } from "../../../git/scrub-secrets.js";
import type { GitRunResult } from "../../steps/index.js";
import type { StepLog } from "./container-step.js";

/** Most output (characters) kept for reading results (the PLAY RECAP and git's errors are at the end). */
export const MAX_KEPT_OUTPUT = 4 * 1024 * 1024;

/** One program to run. */
export interface ContainerProcessOptions {
  command: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  /** Where the log goes. */
  out: StepLog;
  /** Keep stdout for the caller (not logged), as `git ls-remote` needs. */
  capture?: boolean;
  /** Stops the program (SIGTERM) when aborted: the container is being stopped. */
  signal?: AbortSignal;
  /** Text masked in the `$ command` line written before the program's output. */
  secrets?: readonly string[];
}

/** How the program ended, its captured stdout and the tail of what it wrote to the log. */
export type ContainerProcessResult = GitRunResult;

/**
 * Runs `command` (an argv, never through a shell) after writing `$ command args` to the log, and
 * resolves once it has exited; a program that cannot start resolves with `error` set.
 */
export function runContainerProcess(options: ContainerProcessOptions): Promise<ContainerProcessResult> {
  const line = scrubSecrets([options.command, ...options.args].join(" "), options.secrets ?? []);
  options.out.write(`$ ${line}\n`);
  const child = spawn(options.command, [...options.args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.signal === undefined ? {} : { signal: options.signal, killSignal: "SIGTERM" as const }),
  });
  const output = new OutputTail(options.out);
  const stdout: Buffer[] = [];
  const fromStdout = new StringDecoder("utf8");
  const fromStderr = new StringDecoder("utf8");
  child.stdout.on("data", (chunk: Buffer) => {
    if (options.capture === true) stdout.push(chunk);
    else output.write(fromStdout.write(chunk));
  });
  child.stderr.on("data", (chunk: Buffer) => output.write(fromStderr.write(chunk)));
  return new Promise((resolve) => {
    const result = (end: Pick<GitRunResult, "exitCode" | "signal" | "error">): GitRunResult => ({
      ...end,
      stdout: Buffer.concat(stdout).toString("utf8"),
      output: output.text(),
    });
    child.once("error", (error) => {
      if (error.name === "AbortError") return;
      resolve(result({ exitCode: null, signal: null, error: error.message }));
    });
    child.once("close", (code, signal) => {
      output.write(fromStdout.end() + fromStderr.end());
      resolve(result({ exitCode: code, signal, error: null }));
    });
  });
}

/** Passes output on to the log and keeps about its last MAX_KEPT_OUTPUT characters. */
class OutputTail {
  private chunks: string[] = [];
  private size = 0;

  constructor(private readonly out: StepLog) {}

  write(text: string): void {
    if (text === "") return;
    this.out.write(text);
    this.chunks.push(text);
    this.size += text.length;
    while (this.size > MAX_KEPT_OUTPUT && this.chunks.length > 1) {
      this.size -= this.chunks.shift()?.length ?? 0;
    }
  }

  text(): string {
    return this.chunks.join("");
  }
}
