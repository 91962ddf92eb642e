/** Runs a helper program (gpg, gpgconf) the git room needs beside git, as an argv, never a shell. */
import { spawn } from "node:child_process";
import { GitCommandError } from "./errors.js";

/** Runs `command` to completion and returns its stdout; a failure is a GitCommandError with its stderr. */
export function runProgram(input: {
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(input.command, [...input.args], {
      stdio: ["ignore", "pipe", "pipe"],
      ...(input.env ? { env: input.env } : {}),
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => reject(new GitCommandError(`${input.command}: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve(stdout);
      else
        reject(new GitCommandError(`${input.command} failed (exit ${code}): ${stderr.trim().slice(0, 500)}`));
    });
  });
}
