/**
 * Signed commits through git itself: `git fast-import` cannot sign, so a commit it built is made
 * again, with the same tree, parent, identity, time and message, by `git commit-tree -S` (which
 * runs `ssh-keygen -Y sign` or gpg as `gpg.format` says). One git process more per commit.
 */
import { chmod, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitCommandError } from "./errors.js";
import { normalizeMessage } from "./fast-import.js";
import { runGit } from "./run-git.js";
import { runProgram } from "./run-program.js";
import { failureMessage } from "../api/errors.js";

/** How commits are signed: the `-c` options and environment that make `git commit-tree -S` sign. */
export interface CommitSigning {
  config: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Releases what signing holds (an OpenPGP key's private GNUPGHOME and its agent). */
  close?: () => Promise<void>;
}

/** The commit fast-import built, and what it was built from. */
export interface SignInput {
  gitDir: string;
  /** The unsigned commit (its tree is reused). */
  unsigned: string;
  parent: string | null;
  message: string;
  identity: { name: string; email: string };
  when: Date;
  signing: CommitSigning;
}

/**
 * Signing with a private key file, checked at start: an OpenSSH private key (`gpg.format=ssh`), or an
 * OpenPGP secret key without passphrase (`gpg --export-secret-keys`), imported into a private
 * GNUPGHOME. Null: no key, unsigned.
 */
export async function signingFromKeyFile(keyFile: string | null): Promise<CommitSigning | null> {
  if (keyFile === null) return null;
  let text: string;
  try {
    text = await readFile(keyFile, "utf8");
  } catch (error) {
    throw new GitCommandError(`--signing-key ${keyFile}: ${failureMessage(error)}`);
  }
  if (text.includes("-----BEGIN PGP PRIVATE KEY BLOCK-----")) return openPgpSigning(keyFile);
  if (!text.includes("-----BEGIN OPENSSH PRIVATE KEY-----")) {
    throw new GitCommandError(
      `--signing-key ${keyFile}: neither an OpenSSH private key nor an armored OpenPGP secret key`,
    );
  }
  return { config: ["-c", "gpg.format=ssh", "-c", `user.signingkey=${keyFile}`] };
}

async function openPgpSigning(keyFile: string): Promise<CommitSigning> {
  const home = await mkdtemp(join(tmpdir(), "cfs-gitops-signing-"));
  await chmod(home, 0o700);
  const gpg = (args: string[]): Promise<string> =>
    runProgram({ command: "gpg", args: ["--batch", "--quiet", "--homedir", home, ...args] });
  const close = async (): Promise<void> => {
    await runProgram({ command: "gpgconf", args: ["--homedir", home, "--kill", "gpg-agent"] }).catch(
      () => "",
    );
    await rm(home, { recursive: true, force: true });
  };
  try {
    await gpg(["--import", keyFile]);
    const fingerprint = /^fpr:+([0-9A-F]{40,64}):/m.exec(
      await gpg(["--with-colons", "--list-secret-keys"]),
    )?.[1];
    if (fingerprint === undefined)
      throw new GitCommandError(`--signing-key ${keyFile}: no secret key in the file`);
    return {
      config: ["-c", "gpg.format=openpgp", "-c", `user.signingkey=${fingerprint}`],
      env: { GNUPGHOME: home },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * Signing as the repository's git configuration says (`commit.gpgsign`, `user.signingkey`,
 * `gpg.format`), or null when it does not ask for signed commits.
 */
export async function signingFromGitConfig(gitDir: string): Promise<CommitSigning | null> {
  const { stdout, exitCode } = await runGit({
    gitDir,
    args: ["config", "--type=bool", "--get", "commit.gpgsign"],
    okExitCodes: [1],
  });
  if (exitCode !== 0 || stdout.toString("utf8").trim() !== "true") return null;
  return { config: [] };
}

/** Builds the signed twin of `input.unsigned` and returns its id (the unsigned one becomes garbage). */
export async function signCommit(input: SignInput): Promise<string> {
  const seconds = Math.floor(input.when.getTime() / 1000);
  const date = `@${seconds} +0000`;
  const { name, email } = input.identity;
  const { stdout } = await runGit({
    gitDir: input.gitDir,
    args: [
      ...input.signing.config,
      "commit-tree",
      "-S",
      `${input.unsigned}^{tree}`,
      ...(input.parent === null ? [] : ["-p", input.parent]),
      "-F",
      "-",
    ],
    env: {
      ...input.signing.env,
      GIT_AUTHOR_NAME: name,
      GIT_AUTHOR_EMAIL: email,
      GIT_AUTHOR_DATE: date,
      GIT_COMMITTER_NAME: name,
      GIT_COMMITTER_EMAIL: email,
      GIT_COMMITTER_DATE: date,
    },
    stdin: normalizeMessage(input.message),
  });
  const commit = stdout.toString("utf8").trim();
  if (!/^[0-9a-f]{40,64}$/.test(commit)) {
    throw new GitCommandError("git commit-tree -S did not print the new commit", {
      output: commit.slice(0, 200),
    });
  }
  return commit;
}
