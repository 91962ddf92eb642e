/**
 * A real SSH server standing in for an IMS job's SSH jail: Debian's openssh-server run by the test
 * (as the test's own user, not as a system service) on 127.0.0.1 and a free port, with a host key
 * made for it. Every command runs chrooted into the jail directory (`ForceCommand`; through a user
 * namespace when the test is not root), so `touch /tmp/complete` lands in `<jail>/tmp/complete` as in IMS.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** Where Debian installs sshd (it must be started by its absolute path). */
const SSHD = "/usr/sbin/sshd";

/** A running jail sshd. */
export interface JailSshd {
  host: string;
  port: number;
  /** The user to log in as: the one running the test. */
  user: string;
  jail: string;
  stop(): Promise<void>;
}

/** Fails with an install hint when openssh-server is missing. */
export function requireSshd(): void {
  if (!existsSync(SSHD)) {
    throw new Error(
      `${SSHD} is missing: the IMS tests run a real SSH server; install it with \`apt-get install openssh-server\``,
    );
  }
}

/** A TCP port nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Start sshd for `jail` (a root with /bin/sh), accepting the given public keys. */
export async function startJailSshd(input: { jail: string; authorizedKeys: string[] }): Promise<JailSshd> {
  requireSshd();
  const dir = mkdtempSync(join(tmpdir(), "cfs-jail-sshd-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
  writeFileSync(join(dir, "authorized_keys"), `${input.authorizedKeys.join("\n")}\n`, { mode: 0o600 });
  const root = process.geteuid?.() === 0;
  const chroot = root ? `chroot "$JAIL"` : `unshare --map-root-user chroot "$JAIL"`;
  writeFileSync(
    join(dir, "jail-shell"),
    `#!/bin/sh\nJAIL='${input.jail}'\nexec ${chroot} /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`,
  );
  chmodSync(join(dir, "jail-shell"), 0o755);
  if (root) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = await freePort();
  writeFileSync(join(dir, "sshd_config"), sshdConfig(dir, port));
  const child = spawn(SSHD, ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  await waitListening(port, child, stderr);
  return {
    host: "127.0.0.1",
    port,
    user: userInfo().username,
    jail: input.jail,
    stop: () => stopProcess(child).then(() => rmSync(dir, { recursive: true, force: true })),
  };
}

function sshdConfig(dir: string, port: number): string {
  return [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${join(dir, "host_key")}`,
    `PidFile ${join(dir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "StrictModes no",
    "PubkeyAuthentication yes",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "PermitRootLogin prohibit-password",
    `ForceCommand ${join(dir, "jail-shell")}`,
    "LogLevel ERROR",
    "",
  ].join("\n");
}

export async function waitListening(port: number, child: ChildProcess, stderr: string[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited at start: ${stderr.join("").trim()}`);
    if (await canConnect(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  child.kill("SIGKILL");
  throw new Error(`sshd did not listen on port ${port} within 10 s: ${stderr.join("").trim()}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
