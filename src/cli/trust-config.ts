/**
 * Commit signatures settings: which keys may sign the watched branch (`--verify-commits`,
 * `--allowed-signers`, `--gpg-keyring`, `--verify-from`) and the key that signs status commits
 * (`--signing-key`). Parsed once, like the rest of the configuration; mistakes fail at start.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { ConfigError } from "./config.js";

/** The flags, as commander gives them. */
export interface TrustFlags {
  verifyCommits?: boolean;
  allowedSigners?: string;
  gpgKeyring?: string;
  verifyFrom?: string;
  signingKey?: string;
}

/** The keys commits are checked against (absolute paths; at least one of the two). */
export interface VerifyConfig {
  allowedSigners: string | null;
  gpgKeyring: string | null;
  /** First start only: commits reachable from this one are taken in without a signature. */
  trustFrom: string | null;
}

/** Verification of the watched branch (null: off) and the status commits' signing key (null: unsigned). */
export interface TrustConfig {
  verify: VerifyConfig | null;
  signingKey: string | null;
}

type Env = Readonly<Record<string, string | undefined>>;

/** Adds the verification options (controller: with --verify-commits, --verify-from and --signing-key). */
export function addTrustOptions(command: Command, mode: { controller: boolean }): Command {
  if (mode.controller) {
    command.option(
      "--verify-commits",
      "take in only commits signed by an allowed key [env CFS_GITOPS_VERIFY_COMMITS=true]",
    );
  }
  command
    .option(
      "--allowed-signers <file>",
      "SSH keys allowed to sign, in git's allowed-signers format (gpg.ssh.allowedSignersFile) [env CFS_GITOPS_ALLOWED_SIGNERS]",
    )
    .option(
      "--gpg-keyring <file>",
      "OpenPGP public keys allowed to sign (armored or binary, as gpg --export writes) [env CFS_GITOPS_GPG_KEYRING]",
    );
  if (mode.controller) {
    command
      .option(
        "--verify-from <commit>",
        "first start only: trust this commit and its history without signatures [env CFS_GITOPS_VERIFY_FROM]",
      )
      .option(
        "--signing-key <file>",
        "OpenSSH private key, or armored OpenPGP secret key without passphrase, that signs the status branch commits [env CFS_GITOPS_SIGNING_KEY]",
      );
  }
  return command;
}

/** Resolves the trust flags with the environment as fallback; relative paths are from `cwd`. */
export function resolveTrustConfig(flags: TrustFlags, env: Env, cwd = process.cwd()): Readonly<TrustConfig> {
  const file = (flag: string, value: string | undefined): string | null => {
    if (value === undefined || value === "") return null;
    const path = resolve(cwd, value);
    if (!existsSync(path)) throw new ConfigError(`${flag} ${path}: no such file`);
    return path;
  };
  const allowedSigners = file("--allowed-signers", flags.allowedSigners ?? env.CFS_GITOPS_ALLOWED_SIGNERS);
  const gpgKeyring = file("--gpg-keyring", flags.gpgKeyring ?? env.CFS_GITOPS_GPG_KEYRING);
  const signingKey = file("--signing-key", flags.signingKey ?? env.CFS_GITOPS_SIGNING_KEY);
  const on = flags.verifyCommits ?? isTrue(env.CFS_GITOPS_VERIFY_COMMITS);
  if (!on) return Object.freeze({ verify: null, signingKey });
  if (allowedSigners === null && gpgKeyring === null) {
    throw new ConfigError("--verify-commits needs --allowed-signers FILE and/or --gpg-keyring FILE");
  }
  const trustFrom = resolveTrustFrom(flags.verifyFrom ?? env.CFS_GITOPS_VERIFY_FROM ?? null);
  return Object.freeze({ verify: { allowedSigners, gpgKeyring, trustFrom }, signingKey });
}

function resolveTrustFrom(commit: string | null): string | null {
  if (commit !== null && !/^[0-9a-f]{40}([0-9a-f]{24})?$/.test(commit)) {
    throw new ConfigError(`--verify-from ${commit}: expected a full commit id`);
  }
  return commit;
}

/** The verification keys of the `verify` command: at least one is needed. */
export function resolveVerifyKeys(flags: TrustFlags, env: Env, cwd: string): VerifyConfig {
  if (
    !(flags.allowedSigners ?? env.CFS_GITOPS_ALLOWED_SIGNERS) &&
    !(flags.gpgKeyring ?? env.CFS_GITOPS_GPG_KEYRING)
  ) {
    throw new ConfigError("give --allowed-signers FILE and/or --gpg-keyring FILE");
  }
  const config = resolveTrustConfig({ ...flags, verifyCommits: true }, env, cwd).verify;
  return config ?? { allowedSigners: null, gpgKeyring: null, trustFrom: null };
}

function isTrue(value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new ConfigError(`CFS_GITOPS_VERIFY_COMMITS=${value}: expected true or false`);
}
