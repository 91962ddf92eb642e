/**
 * A real SSH server standing in for a live node: openssh-server run by the test on 127.0.0.1 and
 * a free port, with a host key made for it, accepting only the given public keys (for the user
 * running the test, root in CI). Commands run unconfined, as on a node.
 */
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { freePort, requireSshd, stopProcess, waitListening } from "./ims-jail-sshd.js";

/** A running node sshd. */
export interface NodeSshd {
  host: string;
  port: number;
  user: string;
  stop(): Promise<void>;
}

/** A fresh key pair in `dir`: the private key file (mode 0600) and the public key line. */
export function makeKeyPair(dir: string, name = "id_ed25519"): { key: string; publicKey: string } {
  const key = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "cfs-gitops-test", "-f", key]);
  return { key, publicKey: execFileSync("ssh-keygen", ["-y", "-f", key], { encoding: "utf8" }).trim() };
}

/**
 * Starts sshd accepting only certificates signed by a fresh user CA (as nodes trust cfs-trust's),
 * and makes an ECDSA user key in `dir` (`id_ecdsa`) with such a certificate (`id_ecdsa-cert.pub`)
 * for the test's user.
 */
export async function startCertSshd(input: { dir: string }): Promise<{ sshd: NodeSshd; userKey: string }> {
  const ca = join(input.dir, "user_ca");
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test-user-ca", "-f", ca]);
  const userKey = join(input.dir, "id_ecdsa");
  execFileSync("ssh-keygen", ["-q", "-t", "ecdsa", "-N", "", "-C", "cfs-gitops-test", "-f", userKey]);
  const principal = userInfo().username;
  execFileSync("ssh-keygen", [
    "-q",
    "-s",
    ca,
    "-I",
    "cfs-test",
    "-n",
    principal,
    "-V",
    "+1d",
    `${userKey}.pub`,
  ]);
  const sshd = await startNodeSshd({ authorizedKeys: [], extraConfig: [`TrustedUserCAKeys ${ca}.pub`] });
  return { sshd, userKey };
}

/** Starts sshd accepting `authorizedKeys` (and whatever `extraConfig` lines allow). */
export async function startNodeSshd(input: {
  authorizedKeys: string[];
  extraConfig?: string[];
}): Promise<NodeSshd> {
  requireSshd();
  const dir = mkdtempSync(join(tmpdir(), "cfs-node-sshd-"));
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "host_key")]);
  writeFileSync(join(dir, "authorized_keys"), `${input.authorizedKeys.join("\n")}\n`, { mode: 0o600 });
  if (process.geteuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  const port = await freePort();
  const config = [
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
    "LogLevel ERROR",
    ...(input.extraConfig ?? []),
    "",
  ].join("\n");
  writeFileSync(join(dir, "sshd_config"), config);
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", join(dir, "sshd_config")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr: string[] = [];
  child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  await waitListening(port, child, stderr);
  return {
    host: "127.0.0.1",
    port,
    user: userInfo().username,
    stop: () => stopProcess(child).then(() => rmSync(dir, { recursive: true, force: true })),
  };
}
