/**
 * Verifies the signature of every commit of a range with ONE `git log` (git checks each signature
 * itself, with `gpg.ssh.allowedSignersFile` for SSH keys and a private GNUPGHOME for OpenPGP keys),
 * rather than one `git verify-commit` process per commit.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GitCommandError } from "./errors.js";
import { runGit } from "./run-git.js";

/** The trailer by which a verified commit approves an unverified one: `Cfs-Approve: <sha>`. */
export const TRAILER_APPROVE = "Cfs-Approve";

/** Why a commit is (not) verified. */
export type VerdictReason =
  "good" | "unsigned" | "unknown-key" | "bad-signature" | "expired-key" | "revoked-key";

/** One commit and what its signature says. */
export interface CommitVerdict {
  commit: string;
  parents: string[];
  verified: boolean;
  reason: VerdictReason;
  /** The allowed signer's principal (SSH) or user id (OpenPGP), when git names one. */
  signer: string | null;
  /** The key's fingerprint (SSH `SHA256:...`) or OpenPGP key id, when the commit is signed. */
  key: string | null;
  /** `Name <email>` of the author. */
  author: string;
  /** Committer time, ISO 8601. */
  time: string;
  subject: string;
  /** Commit ids (or prefixes) this commit approves with `Cfs-Approve:` trailers. */
  approves: string[];
  /** git's first line about a signature that is not good (empty when good or unsigned). */
  detail: string;
}

/** The keys a commit may be signed with, as git wants them. */
export interface CommitTrust {
  /** git's SSH allowed-signers file (an empty one when only OpenPGP keys are allowed). */
  allowedSigners: string;
  /** A private GNUPGHOME holding only the allowed OpenPGP keys (empty when none). */
  gnupgHome: string;
  /** Removes the temporary files. */
  close(): Promise<void>;
}

/** Which commits: `from..to` (`from` null: every commit reachable from `to`), or a revision range as typed. */
export type CommitRange = { from: string | null; to: string } | { revisions: string };

const FIELDS = ["%H", "%P", "%G?", "%GK", "%GS", "%an <%ae>", "%cI", "%s", trailerFormat(), "%GG"];

/**
 * Opens the trust git verifies against: the allowed-signers file as given (or an empty one) and a
 * temporary GNUPGHOME into which the OpenPGP keyring is imported (so no user keyring is trusted).
 */
export async function openCommitTrust(input: {
  allowedSigners: string | null;
  gpgKeyring: string | null;
}): Promise<CommitTrust> {
  const dir = await mkdtemp(join(tmpdir(), "cfs-gitops-trust-"));
  const gnupgHome = join(dir, "gnupg");
  await mkdir(gnupgHome, { mode: 0o700 });
  let allowedSigners = input.allowedSigners;
  if (allowedSigners === null) {
    allowedSigners = join(dir, "allowed-signers");
    await writeFile(allowedSigners, "");
  }
  if (input.gpgKeyring !== null) await importKeyring(gnupgHome, input.gpgKeyring);
  return { allowedSigners, gnupgHome, close: () => rm(dir, { recursive: true, force: true }) };
}

/** The `-c` options and environment under which git checks signatures against `trust`. */
export function verifyGitSettings(trust: Pick<CommitTrust, "allowedSigners" | "gnupgHome">): {
  config: string[];
  env: Record<string, string>;
} {
  return {
    config: ["-c", `gpg.ssh.allowedSignersFile=${trust.allowedSigners}`],
    env: { GNUPGHOME: trust.gnupgHome },
  };
}

/** Every commit of `range`, parents before children (`--topo-order --reverse`), with its verdict. */
export async function verifyCommits(input: {
  gitDir: string;
  range: CommitRange;
  trust: Pick<CommitTrust, "allowedSigners" | "gnupgHome">;
}): Promise<CommitVerdict[]> {
  const settings = verifyGitSettings(input.trust);
  const { stdout } = await runGit({
    gitDir: input.gitDir,
    args: [
      ...settings.config,
      "log",
      "-z",
      "--topo-order",
      "--reverse",
      `--format=${FIELDS.join("%x00")}`,
      ...rangeArgs(input.range),
      "--",
    ],
    env: settings.env,
  });
  return parseVerifyLog(stdout.toString("utf8"));
}

/** Parses the output of the log in verifyCommits (NUL-separated fields, NUL-separated records). */
export function parseVerifyLog(output: string): CommitVerdict[] {
  const fields = output.split("\0");
  const verdicts: CommitVerdict[] = [];
  for (let at = 0; at + FIELDS.length <= fields.length; at += FIELDS.length) {
    const row = fields.slice(at, at + FIELDS.length).map((f) => f ?? "");
    verdicts.push(verdictOf(row));
  }
  return verdicts;
}

/** What a `%G?` code (with git's text about the signature) means for a commit. */
export function classifySignature(input: { code: string; key: string; gpgOutput: string }): VerdictReason {
  switch (input.code) {
    case "G":
      return "good";
    case "N":
      return "unsigned";
    case "B":
      return "bad-signature";
    case "X":
    case "Y":
      return "expired-key";
    case "R":
      return "revoked-key";
    case "U":
      return classifyUntrusted(input);
    default:
      return "unknown-key";
  }
}

/**
 * `U`: a good signature of a key of unknown validity. For SSH that means no allowed signer matched
 * (or the matching one has expired); for OpenPGP the private keyring holds only allowed keys, so a
 * good signature by one of them is enough (its owner trust is not set).
 */
function classifyUntrusted(input: { key: string; gpgOutput: string }): VerdictReason {
  if (/key has expired|valid-before|not yet valid/i.test(input.gpgOutput)) return "expired-key";
  if (input.key.startsWith("SHA256:") || /"git" signature/.test(input.gpgOutput)) return "unknown-key";
  return input.key === "" ? "unknown-key" : "good";
}

function verdictOf(row: string[]): CommitVerdict {
  const [commit, parents, code, key, signer, author, time, subject, approves, gpgOutput] = row as [
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const id = commit.replace(/^\n/, "");
  const reason = classifySignature({ code, key, gpgOutput });
  return {
    commit: id,
    parents: parents.split(" ").filter(Boolean),
    verified: reason === "good",
    reason,
    signer: signer === "" ? null : signer,
    key: key === "" ? null : key,
    author,
    time,
    subject,
    approves: approves
      .split(",")
      .map((s) => s.trim().toLowerCase())
      .filter((s) => /^[0-9a-f]{7,64}$/.test(s)),
    detail: reason === "good" || reason === "unsigned" ? "" : firstProblemLine(gpgOutput),
  };
}

function firstProblemLine(output: string): string {
  const lines = output.split("\n").map((l) => l.trim());
  const telling = lines.find((l) => /expired|no principal|bad|can't|cannot|revoked|not/i.test(l));
  return (telling ?? lines.find((l) => l !== "") ?? "").slice(0, 300);
}

function trailerFormat(): string {
  return `%(trailers:key=${TRAILER_APPROVE},valueonly,separator=%x2C)`;
}

function rangeArgs(range: CommitRange): string[] {
  if ("revisions" in range) {
    if (range.revisions.startsWith("-")) {
      throw new GitCommandError(`not a revision range: ${JSON.stringify(range.revisions)}`);
    }
    return ["--end-of-options", range.revisions];
  }
  return ["--end-of-options", range.from === null ? range.to : `${range.from}..${range.to}`];
}

async function importKeyring(gnupgHome: string, keyring: string): Promise<void> {
  await runProgram({
    command: "gpg",
    args: ["--batch", "--quiet", "--no-autostart", "--homedir", gnupgHome, "--import", keyring],
  });
}

/** Runs a helper program (gpg) to completion; a failure is a GitCommandError with its stderr. */
async function runProgram(input: { command: string; args: string[] }): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(input.command, input.args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (error) => reject(new GitCommandError(`${input.command}: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolve();
      else
        reject(new GitCommandError(`${input.command} failed (exit ${code}): ${stderr.trim().slice(0, 500)}`));
    });
  });
}
