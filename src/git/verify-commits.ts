/**
 * Verifies the signature of every commit of a range in a fixed number of git processes, rather than
 * one `git verify-commit` per commit (each of which runs ssh-keygen twice): SSH signatures are
 * checked in-process against git's allowed-signers file, OpenPGP ones by git (with a private
 * GNUPGHOME holding only the allowed keys) in one `git log` for all of them.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { commitSubject, parseCommitObject, trailerValues } from "./commit-object.js";
import { GitCommandError } from "./errors.js";
import { runGit } from "./run-git.js";
import { runProgram } from "./run-program.js";
import {
  isSshSignature,
  parseAllowedSigners,
  verifySshSignature,
  type AllowedSigner,
} from "./ssh-signature.js";

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

/**
 * Every commit of `range`, parents before children (`--topo-order --reverse`), with its verdict.
 * Three git processes whatever the range: rev-list, one `cat-file --batch` of the commit objects,
 * and (only for commits not signed with a plain SSH key: OpenPGP, security keys, certificates) one
 * `git log` that lets git check those. SSH signatures are checked in-process (ssh-signature.ts)
 * against the allowed-signers file, read again at each call.
 */
export async function verifyCommits(input: {
  gitDir: string;
  range: CommitRange;
  trust: Pick<CommitTrust, "allowedSigners" | "gnupgHome">;
}): Promise<CommitVerdict[]> {
  const ids = await listCommits(input.gitDir, input.range);
  if (ids.length === 0) return [];
  const objects = await readCommitObjects(input.gitDir, ids);
  const allowed = parseAllowedSigners(await readFile(input.trust.allowedSigners, "utf8"));
  const format = ids[0]?.length === 64 ? "sha256" : "sha1";
  const verdicts = new Map<string, CommitVerdict>();
  const leftToGit: string[] = [];
  for (const id of ids) {
    const raw = objects.get(id);
    const verdict = raw === undefined ? null : inProcessVerdict({ id, raw, allowed, format });
    if (verdict) verdicts.set(id, verdict);
    else leftToGit.push(id);
  }
  if (leftToGit.length > 0) {
    for (const verdict of await verifyWithGit({ ...input, ids: leftToGit }))
      verdicts.set(verdict.commit, verdict);
  }
  return ids.map((id) => verdicts.get(id)).filter((v): v is CommitVerdict => v !== undefined);
}

/** The commits of a range, parents first. */
async function listCommits(gitDir: string, range: CommitRange): Promise<string[]> {
  const { stdout } = await runGit({
    gitDir,
    args: ["rev-list", "--topo-order", "--reverse", ...rangeArgs(range), "--"],
  });
  return stdout.toString("utf8").split("\n").filter(Boolean);
}

/** The raw commit objects, by one `git cat-file --batch`. */
async function readCommitObjects(gitDir: string, ids: readonly string[]): Promise<Map<string, Buffer>> {
  const { stdout } = await runGit({ gitDir, args: ["cat-file", "--batch"], stdin: `${ids.join("\n")}\n` });
  const objects = new Map<string, Buffer>();
  let at = 0;
  while (at < stdout.length) {
    const newline = stdout.indexOf(10, at);
    if (newline === -1) break;
    const [id = "", type, size] = stdout.subarray(at, newline).toString("latin1").split(" ");
    if (type !== "commit" || size === undefined) throw new GitCommandError(`not a commit: ${id}`);
    const start = newline + 1;
    objects.set(id, stdout.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return objects;
}

/** The verdict of an unsigned or SSH-signed commit; null: leave it to git. */
function inProcessVerdict(input: {
  id: string;
  raw: Buffer;
  allowed: readonly AllowedSigner[];
  format: "sha1" | "sha256";
}): CommitVerdict | null {
  const commit = parseCommitObject(input.raw, input.format);
  const base = {
    commit: input.id,
    parents: commit.parents,
    author: commit.author,
    time: commit.committerTime.toISOString().replace(".000Z", "Z"),
    subject: commitSubject(commit.message),
    approves: approvalsOf(trailerValues(commit.message, TRAILER_APPROVE)),
  };
  if (commit.signature === null) {
    return { ...base, verified: false, reason: "unsigned", signer: null, key: null, detail: "" };
  }
  if (!isSshSignature(commit.signature)) return null;
  const ssh = verifySshSignature({
    payload: commit.payload,
    armored: commit.signature,
    allowed: input.allowed,
    time: commit.committerTime,
  });
  if (ssh === null) return null;
  return {
    ...base,
    verified: ssh.reason === "good",
    reason: ssh.reason,
    signer: ssh.principal,
    key: ssh.fingerprint === "" ? null : ssh.fingerprint,
    detail: ssh.detail,
  };
}

/** git's own check (`%G?`, one `git log`) of the commits given, in the order given: the reference the in-process check is tested against. */
export async function verifyWithGit(input: {
  gitDir: string;
  ids: readonly string[];
  trust: Pick<CommitTrust, "allowedSigners" | "gnupgHome">;
}): Promise<CommitVerdict[]> {
  const settings = verifyGitSettings(input.trust);
  const { stdout } = await runGit({
    gitDir: input.gitDir,
    args: [
      ...settings.config,
      "log",
      "-z",
      "--no-walk=unsorted",
      "--stdin",
      `--format=${FIELDS.join("%x00")}`,
    ],
    env: settings.env,
    stdin: `${input.ids.join("\n")}\n`,
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
    approves: approvalsOf(approves.split(",")),
    detail: reason === "good" || reason === "unsigned" ? "" : firstProblemLine(gpgOutput),
  };
}

/** Approved commit ids (or prefixes of 7+ hex digits) from `Cfs-Approve:` values. */
function approvalsOf(values: readonly string[]): string[] {
  return values.map((v) => v.trim().toLowerCase()).filter((v) => /^[0-9a-f]{7,64}$/.test(v));
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
