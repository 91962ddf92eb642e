/**
 * Real signing keys made in a test: SSH keys with ssh-keygen, OpenPGP keys with gpg in batch mode
 * (a GNUPGHOME of their own), and commits signed with them by git itself.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** An SSH key pair in files. */
export interface SshKey {
  kind: "ssh";
  privateKey: string;
  publicKey: string;
  /** `ssh-ed25519 AAAA...` */
  publicText: string;
}

/** An OpenPGP key in a GNUPGHOME of its own, and its public key exported to a file. */
export interface GpgKey {
  kind: "openpgp";
  home: string;
  fingerprint: string;
  publicKeyring: string;
}

/** Makes an SSH key pair `<dir>/<name>` (no passphrase): ed25519 unless `type` says `rsa` or `ecdsa-<bits>`. */
export function makeSshKey(dir: string, name: string, type = "ed25519"): SshKey {
  const privateKey = join(dir, name);
  mkdirSync(dir, { recursive: true });
  const [algorithm = "ed25519", bits] = type.split("-");
  const size = bits ? ["-b", bits] : algorithm === "rsa" ? ["-b", "2048"] : [];
  execFileSync("ssh-keygen", ["-q", "-t", algorithm, ...size, "-N", "", "-C", name, "-f", privateKey]);
  const publicKey = `${privateKey}.pub`;
  return { kind: "ssh", privateKey, publicKey, publicText: readFileSync(publicKey, "utf8").trim() };
}

/** Writes git's allowed-signers file: one `principal key` line each (options such as `valid-before="..."` allowed). */
export function writeAllowedSigners(
  file: string,
  signers: ReadonlyArray<{ principal: string; key: SshKey; options?: string }>,
): void {
  mkdirSync(dirname(file), { recursive: true });
  const lines = signers.map((s) => [s.principal, s.options, s.key.publicText].filter(Boolean).join(" "));
  writeFileSync(file, lines.length === 0 ? "" : `${lines.join("\n")}\n`);
}

/** Makes an ed25519 OpenPGP signing key for `Name <email>` and exports its public key. */
export function makeGpgKey(dir: string, name: string, email: string): GpgKey {
  const home = join(dir, `gnupg-${email.replace(/[^a-z0-9]/gi, "_")}`);
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const gpg = (args: string[]): string =>
    execFileSync("gpg", ["--batch", "--homedir", home, ...args], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
  gpg([
    "--passphrase",
    "",
    "--pinentry-mode",
    "loopback",
    "--quick-gen-key",
    `${name} <${email}>`,
    "ed25519",
    "sign",
    "1y",
  ]);
  const colons = gpg(["--with-colons", "--list-secret-keys", email]);
  const fingerprint = /^fpr:+([0-9A-F]{40,64}):/m.exec(colons)?.[1] ?? "";
  const publicKeyring = join(dir, `${email}.asc`);
  writeFileSync(publicKeyring, gpg(["--armor", "--export", email]));
  return { kind: "openpgp", home, fingerprint, publicKeyring };
}

/** Stops the gpg-agent a key's GNUPGHOME started and removes it. */
export function removeGpgKey(key: GpgKey): void {
  try {
    execFileSync("gpgconf", ["--homedir", key.home, "--kill", "gpg-agent"], { stdio: "ignore" });
  } catch {
    // no agent was started
  }
  rmSync(key.home, { recursive: true, force: true });
}

const COMMIT_ENV = {
  GIT_AUTHOR_NAME: "Test Author",
  GIT_AUTHOR_EMAIL: "author@example.org",
  GIT_COMMITTER_NAME: "Test Author",
  GIT_COMMITTER_EMAIL: "author@example.org",
  GIT_CONFIG_NOSYSTEM: "1",
  GIT_CONFIG_GLOBAL: "/dev/null",
};

/** The `-c` options and environment that make git sign with `key` (none: unsigned). */
export function signingArgs(key: SshKey | GpgKey | null): { config: string[]; env: Record<string, string> } {
  if (key === null) return { config: [], env: {} };
  if (key.kind === "ssh") {
    return { config: ["-c", "gpg.format=ssh", "-c", `user.signingkey=${key.privateKey}`], env: {} };
  }
  return {
    config: ["-c", "gpg.format=openpgp", "-c", `user.signingkey=${key.fingerprint}`],
    env: { GNUPGHOME: key.home },
  };
}

/**
 * Writes `files` (null deletes) in the work tree `repo` and commits them, signed with `key` (null:
 * unsigned); returns the commit id.
 */
export function commitSigned(input: {
  repo: string;
  key: SshKey | GpgKey | null;
  files?: Record<string, string | null>;
  message?: string;
}): string {
  for (const [path, text] of Object.entries(input.files ?? {})) {
    const full = join(input.repo, path);
    if (text === null) rmSync(full, { force: true });
    else {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, text);
    }
  }
  const { config, env } = signingArgs(input.key);
  const run = (args: string[]): string =>
    execFileSync("git", [...config, ...args], {
      cwd: input.repo,
      env: { ...process.env, ...COMMIT_ENV, ...env },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
  run(["add", "-A"]);
  run(["commit", "-q", "--allow-empty", ...(input.key ? ["-S"] : []), "-m", input.message ?? "change"]);
  return run(["rev-parse", "HEAD"]);
}
