/**
 * SSH to an image root with the system `ssh` client: the IMS client uses it to see that a job's
 * SSH container answers, and to touch the jail's `/tmp/complete` or `/tmp/failed` in teardown.
 * Host keys of IMS jails are made per job, so they are not checked (as CFS does).
 */
import { execFile } from "node:child_process";
import { mkdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { ImageServiceError } from "./errors.js";
import type { SessionKey } from "./types.js";

/** Where and as whom to log in. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
}

/** How one ssh command ended: ok when it exited 0; otherwise ssh's last error line. */
export interface SshResult {
  ok: boolean;
  detail: string;
}

/** Runs one command over SSH; injected so tests can count or fail calls. */
export interface SshRunner {
  run(input: {
    target: SshTarget;
    command: string;
    timeoutMs: number;
    signal?: AbortSignal;
  }): Promise<SshResult>;
}

/** The system ssh client as an SshRunner. */
export function createSshRunner(options: { sshPath?: string } = {}): SshRunner {
  const command = options.sshPath ?? "ssh";
  return {
    run: (input) =>
      new Promise((resolve) => {
        if (!isSafeHost(input.target.host)) {
          resolve({ ok: false, detail: `refusing to connect to host "${input.target.host}"` });
          return;
        }
        execFile(
          command,
          sshArgv(input.target, input.command, input.timeoutMs),
          {
            timeout: input.timeoutMs,
            killSignal: "SIGKILL",
            ...(input.signal ? { signal: input.signal } : {}),
          },
          (error, _stdout, stderr) => resolve({ ok: error === null, detail: lastLine(stderr, error) }),
        );
      }),
  };
}

/** The argv of one ssh call: batch mode (never a prompt), the session key only, no host key checks. */
export function sshArgv(target: SshTarget, command: string, timeoutMs: number): string[] {
  const connectTimeout = Math.max(1, Math.ceil(timeoutMs / 1000));
  return [
    "-i",
    target.privateKeyPath,
    "-p",
    String(target.port),
    "-o",
    "BatchMode=yes",
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    `ConnectTimeout=${connectTimeout}`,
    "-l",
    target.user,
    target.host,
    command,
  ];
}

/** A host name or address, never something ssh would read as an option. */
function isSafeHost(host: string): boolean {
  return /^[A-Za-z0-9._:[\]-]+$/.test(host) && !host.startsWith("-");
}

function lastLine(stderr: string, error: Error | null): string {
  const line = stderr.trim().split(/\r?\n/).at(-1) ?? "";
  if (line !== "") return line;
  return error === null ? "" : (error.message.split("\n")[0] ?? "ssh failed");
}

/**
 * The session's key pair under `dir` (`id_ed25519` and `.pub`), made with ssh-keygen the first
 * time and reused after (inventory and teardown share it).
 */
export async function ensureSessionKey(input: {
  dir: string;
  comment: string;
  sshKeygenPath?: string;
}): Promise<SessionKey> {
  const privateKeyPath = join(input.dir, "id_ed25519");
  if (!(await exists(privateKeyPath))) {
    await mkdir(input.dir, { recursive: true, mode: 0o700 });
    await keygen(input.sshKeygenPath ?? "ssh-keygen", [
      "-q",
      "-t",
      "ed25519",
      "-N",
      "",
      "-C",
      input.comment,
      "-f",
      privateKeyPath,
    ]);
  }
  const publicKey = (await readFile(`${privateKeyPath}.pub`, "utf8")).trim();
  return { publicKey, privateKeyPath };
}

function keygen(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, (error, _stdout, stderr) => {
      if (error === null) return resolve();
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      reject(
        new ImageServiceError({
          code: missing ? "tool-missing" : "command-failed",
          message: missing
            ? "ssh-keygen was not found; install it with `apt-get install openssh-client`"
            : `ssh-keygen failed: ${stderr.trim() || error.message}`,
        }),
      );
    });
  });
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
