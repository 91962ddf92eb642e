/**
 * Looks for secrets where they must never be: texts (log lines, error messages), every object
 * reachable from some refs of a repository (the status branch: records, logs, trees, commit
 * messages), and every file under some folders (run directories, captured environments).
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** One place a secret was found. */
export interface SecretHit {
  /** The secret's label (never its value). */
  secret: string;
  /** Where: `text <label>`, `object <id> in <ref>`, or `file <path>`. */
  where: string;
}

/** What to scan and for what. */
export interface SecretScanInput {
  /** label -> the secret's value (values shorter than 6 characters are refused: too many false hits). */
  secrets: Record<string, string>;
  texts?: Record<string, string>;
  repos?: Array<{ gitDir: string; refs: string[] }>;
  dirs?: string[];
}

/** Every place any secret appears (also base64-encoded); empty when none does. */
export function scanForSecrets(input: SecretScanInput): SecretHit[] {
  const needles = secretNeedles(input.secrets);
  const hits: SecretHit[] = [];
  const look = (where: string, content: Buffer | string) => {
    const text = typeof content === "string" ? content : content.toString("latin1");
    for (const [label, needle] of needles) if (text.includes(needle)) hits.push({ secret: label, where });
  };
  for (const [label, text] of Object.entries(input.texts ?? {})) look(`text ${label}`, text);
  for (const repo of input.repos ?? []) scanRepo(repo, look);
  for (const dir of input.dirs ?? [])
    for (const file of filesUnder(dir)) look(`file ${file}`, readFileSync(file));
  return hits;
}

function secretNeedles(secrets: Record<string, string>): Array<[string, string]> {
  const needles: Array<[string, string]> = [];
  for (const [label, value] of Object.entries(secrets)) {
    if (value.length < 6) throw new Error(`secret ${label} is too short to scan for`);
    needles.push(
      [label, value],
      [`${label} (base64)`, Buffer.from(value).toString("base64").replace(/=+$/, "")],
    );
  }
  return needles;
}

function scanRepo(
  repo: { gitDir: string; refs: string[] },
  look: (where: string, content: Buffer) => void,
): void {
  if (repo.refs.length === 0) return;
  const listed = execFileSync("git", ["--git-dir", repo.gitDir, "rev-list", "--objects", ...repo.refs], {
    maxBuffer: 512 * 1024 * 1024,
  }).toString("utf8");
  const ids = listed
    .split("\n")
    .map((line) => line.split(" ")[0] ?? "")
    .filter((id) => id !== "");
  if (ids.length === 0) return;
  const out = execFileSync("git", ["--git-dir", repo.gitDir, "cat-file", "--batch"], {
    input: `${ids.join("\n")}\n`,
    maxBuffer: 1024 * 1024 * 1024,
  });
  let at = 0;
  for (const id of ids) {
    const eol = out.indexOf(10, at);
    const size = Number(/ (\d+)$/.exec(out.subarray(at, eol).toString("utf8"))?.[1] ?? 0);
    at = eol + 1;
    look(`object ${id} in ${repo.refs.join(",")}`, out.subarray(at, at + size));
    at += size + 1;
  }
}

function filesUnder(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) return [];
    if (stat.isDirectory()) return filesUnder(path);
    return stat.isFile() ? [path] : [];
  });
}
